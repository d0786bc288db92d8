"""The reports page in Chromium: charts a screen reader can name, their numbers, a custom period,
and a CSV download that agrees with the page; readable on a phone."""

import csv
import io
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Message


def test_admin_reads_charts_picks_a_period_and_downloads_matching_csv(app, acme, open_as):
    runner = app.test_cli_runner()
    args = ["generate-load", "--account", "Acme Plumbing", "--conversations", "30"]
    result = runner.invoke(args=[*args, "--messages-per-conversation", "4", "--days", "20"])
    assert result.exit_code == 0, result.output

    page = open_as("admin@acme.test")
    page.get_by_role("link", name="Reports").click()
    charts = page.get_by_role("img")
    expect(charts).to_have_count(3)
    expect(page.get_by_role("img", name="Texts received and sent per day")).to_be_visible()

    page.select_option("#period", "custom")
    first, last = date.today() - timedelta(days=29), date.today()
    page.fill("#start", first.isoformat())
    page.fill("#end", last.isoformat())
    page.click("button:has-text('Show')")
    expect(page.locator("#summary-title")).to_contain_text(f"{first} to {last}")

    with app.app_context():
        inbound = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
    summary = page.locator("#summary")
    expect(summary.get_by_role("row", name="Texts received")).to_have_text(
        f"Texts received{inbound}"
    )
    expect(summary.get_by_role("row", name="Texts sent")).to_have_text(f"Texts sent{120 - inbound}")

    page.get_by_text("Texts received and sent per day: the numbers").click()
    received = page.locator("td[data-field=received]").all_inner_texts()
    assert len(received) == 30 and sum(map(int, received)) == inbound

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the day series (CSV)").click()
    lines = download.value.path().read_text().splitlines()
    with app.app_context():
        zone = Account.by_name("Acme Plumbing").timezone
    assert lines[:2] == [f"# period,{first},{last}", f"# time zone,{zone}"]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[2:]))))
    assert [r["received"] for r in rows] == received

    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
