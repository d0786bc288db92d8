"""Quiet hours (SPEC §2.12): when a text the business starts may reach a contact.

A text the business starts (an agent-started conversation, a scheduled text, anything sent when
the contact has not texted in the last 24 hours) leaves only inside the window every rule below
allows, in the contact's local time; one that would leave outside it is held until the window
opens. The rules are the law's, strictest first where they overlap:

- Federal: 47 CFR § 64.1200(c)(1) (TCPA), no telephone solicitation before 8:00 or after 21:00
  at the called party's location.
- Florida, Fla. Stat. § 501.059(8)(a) (2021); Oklahoma, 15 O.S. § 775C.3 (2022); Maryland,
  Md. Code, Com. Law § 14-4503 (2023): 8:00 to 20:00. Applied to every number: a number's area
  code does not say where its owner is now.
- Texas, Tex. Bus. & Com. Code § 301.051 as amended by SB 140 (in force 2025-09-01): 9:00 to
  21:00 Monday to Saturday, noon to 21:00 on Sunday; applied to Texas numbers
  (`phonenumbers.geocoder` names Texas or a Texan city).

The contact's zone comes from `phonenumbers.timezone`. A number that maps to several zones may
receive only in the part of the window they all share; where it maps to none, where it is not
geographic (toll-free, +1 500), or where the shared part is empty, the account's zone is used.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as number_zones

SUNDAY = 6
EVERY_DAY = frozenset(range(7))
REPLY_WINDOW = timedelta(hours=24)  # a contact who texted this recently is answered at once
SEARCH_DAYS = 8  # a shared window, if there is one, opens within a week
UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class Rule:
    """A law's window: texts may leave from `opens` until just before `closes`, local time, on
    `days` (0 Monday … 6 Sunday), to the numbers it covers (all, or Texas's)."""

    source: str
    opens: time
    closes: time
    days: frozenset[int] = EVERY_DAY
    texas_only: bool = False


TEXAS = "Tex. Bus. & Com. Code § 301.051"
RULES = (
    Rule("47 CFR § 64.1200(c)(1) (federal)", time(8), time(21)),
    Rule("Fla. Stat. § 501.059(8)(a); 15 O.S. § 775C.3; Md. Com. Law § 14-4503", time(8), time(20)),
    Rule(f"{TEXAS} (Mon–Sat)", time(9), time(21), EVERY_DAY - {SUNDAY}, texas_only=True),
    Rule(f"{TEXAS} (Sunday)", time(12), time(21), frozenset({SUNDAY}), texas_only=True),
)


def window(weekday: int, texas: bool) -> tuple[time, time]:
    """The hours a text may leave on a local weekday: what every rule that applies allows."""
    rules = [r for r in RULES if weekday in r.days and (texas or not r.texas_only)]
    return max(r.opens for r in rules), min(r.closes for r in rules)


@dataclass(frozen=True)
class Recipient:
    """Where a phone number's owner is taken to be: the zones to respect, Texas or not."""

    zones: tuple[ZoneInfo, ...]
    texas: bool

    def allows(self, at: datetime) -> bool:
        """Whether a text may leave at `at` (aware) in every zone."""
        for zone in self.zones:
            local = at.astimezone(zone)
            opens, closes = window(local.weekday(), self.texas)
            if not opens <= local.time() < closes:
                return False
        return True

    def opening(self, at: datetime) -> datetime | None:
        """The first moment from `at` (aware) a text may leave, or None in the week after."""
        candidates = {at}
        for zone in self.zones:
            day = at.astimezone(zone).date() - timedelta(days=1)
            for offset in range(SEARCH_DAYS + 1):
                local_day = day + timedelta(days=offset)
                opens, _ = window(local_day.weekday(), self.texas)
                candidates.add(datetime.combine(local_day, opens, tzinfo=zone))
        return next((c for c in sorted(candidates) if c >= at and self.allows(c)), None)


def recipient(phone: str, account_zone: str) -> Recipient:
    """Where the owner of `phone` (E.164) is taken to be (see the module's docstring)."""
    number = phonenumbers.parse(phone)
    texas = _in_texas(number)
    names = [z for z in number_zones.time_zones_for_number(number) if z != UNKNOWN_ZONE]
    if names and phonenumbers.is_number_geographical(number):
        return Recipient(tuple(ZoneInfo(name) for name in names), texas)
    return Recipient((ZoneInfo(account_zone),), texas)


def _in_texas(number: phonenumbers.PhoneNumber) -> bool:
    where = geocoder.description_for_number(number, "en")
    return where == "Texas" or where.endswith(", TX")


def held_until(phone: str, account_zone: str, at: datetime) -> datetime | None:
    """When a text the business starts at `at` (naive UTC) may leave: None when it may leave
    now, else the window's opening (naive UTC)."""
    moment = at.replace(tzinfo=UTC)
    person = recipient(phone, account_zone)
    opening = person.opening(moment)
    if opening is None:  # the zones share no window: the account's zone decides
        person = Recipient((ZoneInfo(account_zone),), person.texas)
        opening = person.opening(moment)
    if opening == moment:
        return None
    return opening.astimezone(UTC).replace(tzinfo=None)


def starts_conversation(last_inbound_at: datetime | None, at: datetime) -> bool:
    """Whether a text sent at `at` is one the business starts: the contact has not texted in
    the last 24 hours (or never has)."""
    return last_inbound_at is None or at - last_inbound_at >= REPLY_WINDOW


def local_zone(phone: str, account_zone: str) -> ZoneInfo:
    """The zone to show a held text's opening in: the contact's when it is one, else the
    account's."""
    zones = recipient(phone, account_zone).zones
    return zones[0] if len(zones) == 1 else ZoneInfo(account_zone)
