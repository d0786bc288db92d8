"""The claim race on PostgreSQL (SPEC §5): 50 agents claim one conversation at the same instant;
exactly one wins. Prints the winner's and the others' latency over several rounds.

    DATABASE_URL=postgresql://… .venv/bin/python -m bench.claims --account "Demo Plumbing"

Writes racers (users racer0…@claims.bench) and one conversation per round into that account.
"""

import argparse
import functools
import statistics
import time

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Account, Conversation, TrackingNumber, User
from app.services import claims, directory, inbound
from app.services.errors import AlreadyClaimed
from tests.support.race import at_once_when_ready


def race(app, conversation_id: int, user_ids: list[int]) -> tuple[list[float], list[float]]:
    """One round: (winners' latencies, losers' latencies) in ms from the common start."""
    won, lost = [], []

    def racer(user_id: int):
        conversation = db.session.get(Conversation, conversation_id)
        user = db.session.get(User, user_id)

        def claim() -> None:
            began = time.perf_counter()
            try:
                claims.claim(conversation, user)
                won.append((time.perf_counter() - began) * 1000)
            except AlreadyClaimed:
                lost.append((time.perf_counter() - began) * 1000)

        return claim

    errors = at_once_when_ready(app, [functools.partial(racer, uid) for uid in user_ids])
    if errors:
        raise SystemExit(f"{len(errors)} claims failed; the first: {errors[0]!r}")
    return won, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--account", required=True)
    parser.add_argument("--racers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.racers, "max_overflow": 5}})
    with app.app_context():
        account = Account.by_name(args.account)
        if account is None:
            raise SystemExit(f"No account {args.account!r}.")
        number = db.session.scalar(
            select(TrackingNumber).where(
                TrackingNumber.account_id == account.id, TrackingNumber.sms_state == "active"
            )
        )
        user_ids = []
        for i in range(args.racers):
            email = f"racer{i}@claims.bench"
            user = User.by_email(email) or directory.create_user(
                account, email, f"Racer{i}", "Bench", "admin"
            )
            user_ids.append(user.id)
        stamp = int(time.time())
        conversations = [
            inbound.receive(
                number.number, f"+1555{stamp % 1000:03d}{i:04d}", "Race", None
            ).conversation_id
            for i in range(args.rounds)
        ]
    winners, losers, counts = [], [], []
    for conversation_id in conversations:
        won, lost = race(app, conversation_id, user_ids)
        counts.append(len(won))
        winners += won
        losers += lost
    print(f"{args.rounds} rounds of {args.racers} simultaneous claims on PostgreSQL")
    print(f"winners per round: {counts} (each must be 1)")
    print(f"winner's latency: median {statistics.median(winners):.1f} ms")
    print(
        f"'already claimed' latency: median {statistics.median(losers):.1f} ms, "
        f"max {max(losers):.1f} ms"
    )


if __name__ == "__main__":
    main()
