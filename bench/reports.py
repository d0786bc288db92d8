"""Time the 90-day SMS report (SPEC §2.8) over what `generate-load` wrote.

    DATABASE_URL=postgresql://… .venv/bin/python -m bench.reports --email admin@demo.test

Prints each run and the median, in seconds; the first run (cold caches) is not counted.
"""

import argparse
import statistics
import time

from app import create_app
from app.extensions import db
from app.models import Message, User
from app.services import reports
from bench import figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="the user whose report is timed")
    parser.add_argument("--days", default="90", choices=sorted(reports.PRESETS))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        user = User.by_email(args.email)
        if user is None:
            raise SystemExit(f"No user {args.email!r}.")
        start, end = reports.period(args.days, reports.zone(user.account.timezone))
        texts = db.session.query(Message).count()
        reports.report(user, start, end)
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            report = reports.report(user, start, end)
            times.append(time.perf_counter() - began)
            db.session.rollback()
        summary, engine = report.summary, db.engine.dialect.name
    print(f"{engine}, {texts:,} texts in the database")
    print(
        f"{args.days}-day report: {summary['received']:,} received, {summary['sent']:,} sent, "
        f"{summary['new_conversations']:,} new conversations"
    )
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"median: {statistics.median(times):.3f} s")
    figure(f"{args.days}-day report, median", f"{statistics.median(times):.3f} s", "≤ 0.3 s")


if __name__ == "__main__":
    main()
