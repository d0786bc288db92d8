"""Time search and the filtered tabs over a loaded account (SPEC §2.11: 100,000 conversations,
1,000,000 texts; search p95 ≤ 150 ms, a filtered tab p95 ≤ 50 ms).

    DATABASE_URL=postgresql://… .venv/bin/python -m bench.search --email bob@demo.test

Each search and filtered tab is asked for through the JSON API (the test client: server time,
no network) as that user, after 20 to warm up; prints p50 and p95 in milliseconds. The first run
puts the tag "Bench" on one conversation in 20 of the account, for the tag filter.
"""

import argparse
import statistics
from urllib.parse import urlencode

from sqlalchemy import insert, select, text

from app import create_app
from app.extensions import db
from app.models import Contact, Conversation, ConversationTag, Tag, User
from app.models.number import TrackingNumber
from bench import WARM_UP, percentile, signed_in, timed


def bench_tag(user: User) -> int:
    """The id of the tag "Bench", on one conversation in 20 of the user's account."""
    tag = db.session.scalar(
        select(Tag).where(Tag.account_id == user.account_id, Tag.name == "Bench")
    )
    if tag is None:
        tag = Tag(account_id=user.account_id, name="Bench", color="teal")
        db.session.add(tag)
        db.session.flush()
        every_20th = select(Conversation.id, tag.id).where(
            Conversation.account_id == user.account_id, Conversation.id % 20 == 0
        )
        db.session.execute(
            insert(ConversationTag).from_select(["conversation_id", "tag_id"], every_20th)
        )
        db.session.commit()
        if db.session.get_bind().dialect.name == "postgresql":
            # As generate-load does: the planner then knows how many conversations the tag is on.
            db.session.execute(text("ANALYZE conversation_tags, tags"))
            db.session.commit()
    return tag.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True, help="the user who searches")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    client, conversations, texts = signed_in(app, args.email)
    with app.app_context():
        user = User.by_email(args.email)
        # A phone of the load (its newest contact), and a number the user sees.
        phone = db.session.scalar(
            select(Contact.phone)
            .where(Contact.account_id == user.account_id)
            .order_by(Contact.id.desc())
        )
        number = db.session.scalar(
            TrackingNumber.visible_to(user).with_only_columns(TrackingNumber.number).limit(1)
        )
        tag = bench_tag(user)
    digits = phone[-10:]
    lists = {
        "a common word (water)": {"q": "water"},
        "a less common word (sump, in 1.5% of texts)": {"q": "sump"},
        "a word of one conversation (gallons)": {"q": "gallons"},
        "two words (kitchen leak)": {"q": "kitchen leak"},
        "a word no text has (xylophone)": {"q": "xylophone"},
        f"a whole phone ({digits[:3]}) {digits[3:6]}-{digits[6:]}": {
            "q": f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        },
        f"last four digits ({digits[-4:]})": {"q": digits[-4:]},
        "a first name (wendy)": {"q": "wendy"},
        "a whole name (Wendy Walker)": {"q": "Wendy Walker"},
        "a word in the Active tab, unread": {"q": "water", "tab": "active", "unread": "1"},
        "Active tab, tag": {"tab": "active", "tag": tag},
        "Closed tab, tag": {"tab": "closed", "tag": tag},
        "Active tab, number": {"tab": "active", "number": number},
        "Active tab, unread": {"tab": "active", "unread": "1"},
        "Closed tab, claimed by me": {"tab": "closed", "mine": "1"},
        "Closed tab, tag, number, mine": {
            "tab": "closed",
            "tag": tag,
            "number": number,
            "mine": "1",
        },
    }
    engine = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"{engine}: {conversations:,} conversations, {texts:,} texts;")
    print(f"as {args.email}; {args.runs} runs each after {WARM_UP} to warm up\n")
    print("| Search or filtered tab | Results (first page) | p50 (ms) | p95 (ms) |")
    print("| --- | --- | --- | --- |")
    for name, query in lists.items():
        url = "/api/v1/conversations?" + urlencode(query)
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True))
        times = timed(client, url, args.runs)
        found = len(answer.json["items"])
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"| {name} | {found} | {median:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
