"""Admin views: Business hours (SPEC §2.12), the week grid in the account's time zone and the
closed dates, which the after-hours reply and the portal go by."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import admin_required
from app.admin import bp
from app.inputs import time_zones
from app.models.base import utcnow
from app.models.hours import MINUTES_IN_DAY
from app.services import business_hours
from app.services.business_hours import MAX_OPENINGS, WEEKDAYS, Week, clock
from app.services.errors import Invalid

SHOWN_OPENINGS = 2  # boxes a day shows: a day's hours, or a split shift (more when saved so)
TIMEZONE = "timezone"
MARKED = "see what is marked below."  # each field says what is wrong with it


def _box(day: str, end: str, slot: int) -> str:
    """The name of a time box of the grid: `monday_opens_0`, `monday_closes_0`…"""
    return f"{day}_{end}_{slot}"


def _boxes_of(week: Week, timezone: str) -> dict[str, str]:
    """The grid's boxes as saved. A time box cannot show 24:00: midnight closes as 00:00."""
    values = {TIMEZONE: timezone}
    for weekday, day in enumerate(WEEKDAYS):
        for slot, (opens, closes) in enumerate(week.openings.get(weekday, ())):
            values[_box(day, "opens", slot)] = clock(opens)
            values[_box(day, "closes", slot)] = clock(closes % MINUTES_IN_DAY)
    return values


def _posted() -> dict[str, str]:
    """The grid's boxes and the time zone as posted."""
    names = [
        _box(day, end, slot)
        for day in WEEKDAYS
        for slot in range(MAX_OPENINGS)
        for end in ("opens", "closes")
    ]
    return {name: request.form.get(name, "") for name in [TIMEZONE, *names]}


def _week_from(values: dict[str, str]) -> dict:
    """The boxes as the service takes a week: per day its openings as "HH:MM–HH:MM" (a pair
    of boxes left empty is no opening; one of the two left empty is refused by the service)."""
    week: dict = {TIMEZONE: values.get(TIMEZONE, "")}
    for day in WEEKDAYS:
        pairs = (
            (values.get(_box(day, "opens", slot), ""), values.get(_box(day, "closes", slot), ""))
            for slot in range(MAX_OPENINGS)
        )
        week[day] = [f"{opens}–{closes}" for opens, closes in pairs if opens or closes]
    return week


def _slots(values: dict[str, str]) -> int:
    """How many openings each day shows: SHOWN_OPENINGS, or as many as a day holds."""
    used = [
        slot + 1
        for day in WEEKDAYS
        for slot in range(MAX_OPENINGS)
        if values.get(_box(day, "opens", slot)) or values.get(_box(day, "closes", slot))
    ]
    return max([SHOWN_OPENINGS, *used])


def _saved(week: Week, timezone: str) -> str:
    """What was saved, in a line: "… in America/New_York: Mon 09:00–17:00 · … · Sun closed"."""
    if not week.is_set:
        return "Saved with no hours: the business counts as always open."
    days = []
    for weekday, day in enumerate(WEEKDAYS):
        openings = week.openings.get(weekday, ())
        hours = ", ".join(f"{clock(o)}–{clock(c)}" for o, c in openings) or "closed"
        days.append(f"{day[:3].capitalize()} {hours}")
    return f"Business hours saved, in {timezone}: {' · '.join(days)}."


@bp.route("/business-hours", methods=["GET", "POST"])
@admin_required
def business_hours_page():
    """The week grid and the time zone, and the closed dates."""
    account = current_user.account
    values, errors, status = _boxes_of(business_hours.week(account), account.timezone), {}, 200
    if request.method == "POST":
        values = _posted()
        try:
            saved = business_hours.save_week(account, _week_from(values))
        except Invalid as e:
            errors, status = e.fields, 422
            flash(f"The hours were not saved: {MARKED}", "danger")
        else:
            flash(_saved(saved, account.timezone), "success")
            return redirect(url_for("admin.business_hours_page"))
    return page(values, errors, {}, {}, status)


@bp.post("/business-hours/closed-days")
@admin_required
def closed_day_add():
    """Close the business on a date."""
    account = current_user.account
    day = {"day": request.form.get("day", ""), "name": request.form.get("name", "")}
    try:
        closed = business_hours.add_closed_day(account, day)
    except Invalid as e:
        flash(f"The closed date was not added: {MARKED}", "danger")
        values = _boxes_of(business_hours.week(account), account.timezone)
        return page(values, {}, day, e.fields, 422)
    flash(f"Closed on {closed.day:%A %d %B %Y} ({closed.name}).", "success")
    return redirect(url_for("admin.business_hours_page", _anchor="closed-days"))


@bp.post("/business-hours/closed-days/<id:closed_day_id>/delete")
@admin_required
def closed_day_delete(closed_day_id: int):
    """Open again on a closed date (the week's hours apply to it)."""
    closed = business_hours.remove_closed_day(current_user.account, closed_day_id)
    flash(f"{closed.day:%A %d %B %Y} is no longer closed: the week's hours apply.", "success")
    return redirect(url_for("admin.business_hours_page", _anchor="closed-days"))


def page(values: dict, errors: dict, day: dict, day_errors: dict, status: int):
    """The page: the grid's boxes with `values` (and what is wrong with them), the closed dates
    and the form that adds one with `day` (and its errors), and where the business is now."""
    account = current_user.account
    week = business_hours.week(account)
    now = utcnow()
    opening = week.next_opening(now)
    return (
        render_template(
            "admin/business_hours.html",
            weekdays=WEEKDAYS,
            slots=_slots(values),
            box=_box,
            values=values,
            errors=errors,
            timezones=time_zones(),
            closed_days=account.closed_days,
            day=day,
            day_errors=day_errors,
            name_length=business_hours.NAME_LENGTH,
            week=week,
            now=week.local(now),
            is_open=week.is_open(now),
            opens=week.local(opening) if opening else None,
        ),
        status,
    )
