"""Admin → widgets: an account's widgets are its own."""

from sqlalchemy import select

from app.extensions import db
from app.models import Widget
from tests.support import NUM

SITE = "https://www.acme-plumbing.test"


def acme_widget(app) -> int:
    """A widget of Acme's Main line, made as the CLI makes it."""
    args = ["create-widget", "--account", "Acme Plumbing", "--number", NUM, "--origin", SITE]
    r = app.test_cli_runner().invoke(args=args)
    assert r.exit_code == 0, r.output
    with app.app_context():
        return db.session.scalar(select(Widget.id))


def test_the_widgets_page_lists_the_accounts_widgets_and_opens_one(app, acme, browser):
    widget_id = acme_widget(app)
    admin = browser("admin@acme.test")
    assert f'href="/admin/widgets/{widget_id}"' in admin.get("/admin/widgets").text
    page = admin.get(f"/admin/widgets/{widget_id}").text
    assert "Settings of Website" in page and SITE in page


def test_another_accounts_widget_is_not_found_and_stays_as_it_was(app, acme, browser):
    widget_id = acme_widget(app)
    eve = browser("eve@other.test")
    assert f"/admin/widgets/{widget_id}" not in eve.get("/admin/widgets").text
    assert eve.client.get(f"/admin/widgets/{widget_id}").status_code == 404
    r = eve.client.post(
        f"/admin/widgets/{widget_id}",
        data={"csrf_token": eve.token(), "name": "Taken", "tracking_number_id": "1"},
    )
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(Widget, widget_id).name == "Website"
