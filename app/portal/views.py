"""Portal pages: parse the form, call a service, redirect back to the thread with what happened."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import phones
from app.models.contact import CONSENT_SOURCES
from app.portal import bp
from app.services import claims, consent, inbox, outbound
from app.services.errors import Conflict, DomainError

TAB_TITLES = {"active": "Active", "team": "Team", "closed": "Closed"}


@bp.app_template_filter("phone")
def phone_filter(number: str) -> str:
    return phones.pretty(number)


@bp.app_template_filter("when")
def when_filter(value) -> str:
    return value.strftime("%b %d, %H:%M") if value else ""


@bp.route("/")
@login_required
def index():
    return redirect(url_for("portal.conversations"))


def current_tab() -> str:
    tab = request.args.get("tab", "active")
    return tab if tab in TAB_TITLES else "active"


@bp.route("/conversations")
@login_required
def conversations():
    return render_inbox(current_tab())


@bp.route("/conversations/<id:conversation_id>")
@login_required
def conversation(conversation_id: int):
    selected = inbox.get(current_user, conversation_id)
    inbox.mark_read(selected, current_user)
    return render_inbox(current_tab(), selected)


def render_inbox(tab: str, selected=None):
    items, next_cursor = inbox.page(current_user, tab, request.args.get("cursor"))
    context = {
        "tab": tab,
        "tabs": TAB_TITLES,
        "items": items,
        "next_cursor": next_cursor,
        "counts": inbox.unread_counts(current_user),
        "selected": selected,
    }
    if selected is not None:
        messages, events = inbox.thread(selected)
        timeline = sorted(
            [("message", m.created_at, m) for m in messages]
            + [("event", e.created_at, e) for e in events],
            key=lambda row: row[1],
        )
        pair = consent.of_conversation(selected)
        context.update(
            timeline=timeline,
            history=inbox.history(selected),
            users=inbox.account_users(current_user),
            consent=pair,
            opted_out=pair is not None and pair.opted_out,
            opt_out_request=consent.opt_out_request(pair, messages),
            may_send=outbound.may_send(selected, current_user),
            may_close=claims.may_close(selected, current_user),
        )
    return render_template("portal/inbox.html", consent_sources=CONSENT_SOURCES, **context)


def act(conversation_id: int, action, done: str):
    """Run one action on a conversation the user can see; flash the outcome; back to the thread."""
    conversation = inbox.get(current_user, conversation_id)
    try:
        action(conversation)
        flash(done, "success")
    except DomainError as e:
        flash(e.message, "danger")
    return redirect(
        url_for("portal.conversation", conversation_id=conversation_id, tab=current_tab())
    )


@bp.post("/conversations/<id:conversation_id>/claim")
@login_required
def claim(conversation_id: int):
    return act(
        conversation_id, lambda c: claims.claim(c, current_user), "You claimed the conversation."
    )


@bp.post("/conversations/<id:conversation_id>/release")
@login_required
def release(conversation_id: int):
    return act(
        conversation_id, lambda c: claims.release(c, current_user), "You released the conversation."
    )


@bp.post("/conversations/<id:conversation_id>/reassign")
@login_required
def reassign(conversation_id: int):
    def reassign_to(c):
        claims.reassign(
            c,
            current_user,
            claims.account_user(current_user, request.form.get("user_id", type=int)),
        )

    return act(conversation_id, reassign_to, "Conversation reassigned.")


@bp.post("/conversations/<id:conversation_id>/messages")
@login_required
def send(conversation_id: int):
    claim_first = request.form.get("claim") == "1"
    return act(
        conversation_id,
        lambda c: outbound.reply(c, current_user, request.form.get("body", ""), claim=claim_first),
        "Text sent.",
    )


@bp.post("/conversations/<id:conversation_id>/participants")
@login_required
def add_participant(conversation_id: int):
    def add(c):
        claims.add_participant(
            c,
            current_user,
            claims.account_user(current_user, request.form.get("user_id", type=int)),
        )

    return act(conversation_id, add, "Participant added.")


@bp.post("/conversations/<id:conversation_id>/participants/<id:user_id>/remove")
@login_required
def remove_participant(conversation_id: int, user_id: int):
    return act(
        conversation_id,
        lambda c: claims.remove_participant(c, current_user, user_id),
        "Participant removed.",
    )


@bp.post("/conversations/<id:conversation_id>/close")
@login_required
def close(conversation_id: int):
    return act(conversation_id, lambda c: claims.close(c, current_user), "Conversation closed.")


@bp.post("/conversations/<id:conversation_id>/opt-out")
@login_required
def opt_out(conversation_id: int):
    def confirm(c):
        if not outbound.opt_out_contact(c, current_user):
            raise Conflict("The contact had already opted out.")

    return act(conversation_id, confirm, "The contact is opted out and was told so.")
