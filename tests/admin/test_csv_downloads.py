"""Every CSV download opens in a spreadsheet as text: a cell that would run as a formula is
prefixed with `'`; phone numbers and negative numbers stay numbers; nothing is cached."""

import csv
import io

import pytest

from app.csvfile import cell
from tests.support import CUSTOMER, NUM, text_in

FORMULA = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        (DDE, "'" + DDE),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+15005550199", "+15005550199"),
        ("-42", "-42"),
        ("-0.5", "-0.5"),
        (-7, "-7"),
        (None, ""),
        ("Main line", "Main line"),
        ("a = b", "a = b"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert cell(value) == written


def read(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.text)))


def test_a_customers_formula_and_an_admins_label_come_out_as_text_in_the_consent_ledger(
    app, acme, world, client, browser
):
    world.number("Acme Plumbing", "+15005550102", sms_users=["bob@acme.test"], label=DDE)
    text_in(client, CUSTOMER, "+15005550102", FORMULA)
    header, row = read(browser("admin@acme.test").client.get("/admin/consent.csv"))
    ledger = dict(zip(header, row, strict=True))
    assert ledger["text"] == "'" + FORMULA, "the customer's words are text, not a link"
    assert ledger["label"] == "'" + DDE
    assert (ledger["contact"], ledger["tracking number"]) == (CUSTOMER, "+15005550102")


def test_an_agents_name_comes_out_as_text_in_the_report(app, acme, world, client, api, browser):
    world.user("Acme Plumbing", "mal@acme.test", first="@SUM(A1:A9)")
    world.number("Acme Plumbing", "+15005550102", sms_users=["mal@acme.test"])
    text_in(client, CUSTOMER, "+15005550102", "Hello")
    mal = api("mal@acme.test")
    (item,) = mal.tab("active")
    assert mal.post(f"/conversations/{item['id']}/claim").status_code == 200
    rows = read(browser("admin@acme.test").client.get("/admin/reports.csv?table=agents&period=7"))
    assert rows[2][:3] == ["name", "email", "claimed"]
    assert [row[:3] for row in rows[3:]] == [["'@SUM(A1:A9) Tester", "mal@acme.test", "1"]]


def test_a_label_starting_with_a_minus_sign_comes_out_as_text_in_the_numbers_download(
    app, acme, world, browser
):
    world.number("Acme Plumbing", "+15005550102", active=False, label="-2+3+cmd|' /C calc'!A0")
    rows = read(browser("admin@acme.test").client.get("/admin/numbers.csv"))
    assert rows == [
        ["group", "number", "label", "sms_state"],
        ["DID/Local", NUM, "Main line", "active"],
        ["DID/Local", "+15005550102", "'-2+3+cmd|' /C calc'!A0", "off"],
    ]
