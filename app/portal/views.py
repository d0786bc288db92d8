"""Portal pages: parse the form, call a service, redirect back to the thread with what happened."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from app import phones
from app.extensions import db
from app.inputs import parse_id, uploaded
from app.models import MessageMedia
from app.models.base import utcnow
from app.models.contact import CONSENT_SOURCES
from app.models.conversation import TABS, HeldFor, MessageStatus, Purpose, Tab
from app.portal import bp
from app.services import (
    attachments,
    business_hours,
    claims,
    consent,
    contacts,
    inbox,
    notes,
    notify,
    outbound,
    people,
    quiet_hours,
    reports,
    saved_replies,
    scheduled,
    search,
    tags,
)
from app.services.errors import Conflict, DomainError, Invalid, NotFound
from app.sms import MediaRefused, MediaUnavailable
from app.storage import storage

AUTO_REPLIES = {
    Purpose.OPT_IN: "Opt-in text",
    Purpose.OPT_OUT: "Opt-out confirmation",
    Purpose.OPT_IN_AGAIN: "Opt-in again",
    Purpose.HELP: "Help text",
    Purpose.CONFIRMATION: "Widget confirmation",
    Purpose.AFTER_HOURS: "After-hours reply",
}


@bp.app_template_filter("phone")
def phone_filter(number: str) -> str:
    return phones.pretty(number)


def local_zone() -> ZoneInfo:
    """The time zone the signed-in user's account works in (UTC for pages without a user), read
    once a request: a page asks for it for every time it shows."""
    if "local_zone" not in g:
        account = current_user.account if current_user.is_authenticated else None
        g.local_zone = reports.zone(account.timezone if account else None)
    return g.local_zone


@bp.app_template_filter("when")
def when_filter(value) -> str:
    """A stored UTC time as the account's clocks show it."""
    if not value:
        return ""
    return value.replace(tzinfo=UTC).astimezone(local_zone()).strftime("%b %d, %H:%M")


@bp.app_template_filter("marked")
def marked_filter(match) -> Markup:
    """A search match's excerpt, escaped, each span that matched marked."""
    parts, last = [], 0
    for start, end in match.marks:
        parts.append(escape(match.excerpt[last:start]))
        parts.append(Markup("<mark>{}</mark>").format(match.excerpt[start:end]))
        last = end
    parts.append(escape(match.excerpt[last:]))
    return Markup("").join(parts)


@bp.app_template_filter("note_body")
def note_body_filter(note) -> Markup:
    """A note's text, escaped, each `@First Last` of a user it mentions marked."""
    names = sorted({f"@{m.user.name}" for m in note.mentions}, key=len, reverse=True)
    if not names:
        return escape(note.body)
    parts, last = [], 0
    for found in re.finditer("|".join(map(re.escape, names)), note.body):
        parts.append(escape(note.body[last : found.start()]))
        parts.append(Markup('<mark class="mention">{}</mark>').format(found.group()))
        last = found.end()
    parts.append(escape(note.body[last:]))
    return Markup("").join(parts)


@bp.route("/")
@login_required
def index():
    return redirect(url_for("portal.conversations"))


def current_tab() -> str:
    tab = request.args.get("tab", Tab.ACTIVE)
    return tab if tab in TABS else Tab.ACTIVE


def current_filters() -> tuple[inbox.Filters, Invalid | None]:
    """The list's filters the URL asks for; none, with why, when they name nothing of the
    user's (a tag deleted since the page was bookmarked). Read once a request: an action's
    redirect and its redrawn list both need them."""
    if "filters" not in g:
        try:
            g.filters = inbox.filters(current_user, request.args), None
        except Invalid as e:
            g.filters = inbox.NO_FILTERS, e
    return g.filters


def current_query() -> str | None:
    """What the search box asks for; None when it is empty."""
    q = request.args.get("q", "")
    return q if q.strip() else None


def args_of(tab: str, narrowed: inbox.Filters, q: str | None) -> dict:
    """The query string of a list: its tab, filters and search."""
    return {"tab": tab, **narrowed.args(), **({"q": q} if q else {})}


def list_args() -> dict:
    """The tab, filters and search of the list on screen, for links and redirects that keep
    them."""
    return args_of(current_tab(), current_filters()[0], current_query())


def list_context(tab: str) -> dict:
    """The list: a tab, or what a search finds in every tab; narrowed by the filters."""
    narrowed, refused = current_filters()
    notice = None
    if refused:
        notice = "The link's filters name nothing of yours, so every conversation is shown: "
        notice += " ".join(m for messages in refused.fields.values() for m in messages)
    q, cursor = current_query(), request.args.get("cursor")
    if q is None:
        items, next_cursor = inbox.listing(current_user, tab, cursor, narrowed=narrowed)
    else:
        try:
            items, next_cursor = search.page(current_user, q, cursor, narrowed=narrowed)
        except Invalid as e:
            items, next_cursor = [], None
            notice = " ".join(["Nothing was searched:", *e.fields.get("q", [e.message])])
    kept = args_of(tab, narrowed, q)
    return {
        "tab": tab,
        "tabs": TABS,
        "filters": narrowed,
        "list_notice": notice,
        "q": q,
        "tab_of": contacts.tab_of,
        "list_args": kept,
        # The query string every row's link keeps, encoded once for the list, not per row.
        "list_query": url_for("portal.conversations", **kept).partition("?")[2],
        "items": items,
        "next_cursor": next_cursor,
        "counts": inbox.unread_counts(current_user),
        "count_cap": inbox.COUNT_CAP,
    }


def thread_context(selected) -> dict:
    """Everything the thread shows: texts and events in order, history, consent, what one may do."""
    thread = inbox.thread(selected)
    messages = thread.messages
    waiting = [m for m in messages if m.status == MessageStatus.SCHEDULED]
    timeline = sorted(
        [("message", m.created_at, m) for m in messages if m.status != MessageStatus.SCHEDULED]
        + [("event", e.created_at, e) for e in thread.events]
        + [("note", n.created_at, n) for n in thread.notes],
        key=lambda row: row[1],
    )
    pair = consent.of_conversation(selected, ledger=True)
    refusals = claims.refusals(selected, current_user)
    return {
        "selected": selected,
        "timeline": timeline,
        "history": inbox.history(selected, current_user),
        "users": inbox.account_users(current_user, thread.people),
        # Held while the page is drawn: the session finds each sender among them.
        "people": thread.people,
        "consent": pair,
        "opted_out": pair is not None and pair.opted_out,
        "opt_out_request": consent.opt_out_request(pair, messages),
        "refusals": refusals,
        "reasons": reasons(selected, refusals),
        # An unclaimed conversation offers "Claim and send".
        "send_refusal": outbound.send_refusal(
            selected, current_user, claim=selected.claimed_by_id is None
        ),
        "consent_sources": CONSENT_SOURCES,
        "auto_replies": AUTO_REPLIES,
        "failed_notifications": notify.failures(selected),
        "contact_limits": contacts.LIMITS,
        "saved_replies": saved_replies.for_composer(selected, current_user),
        "tag_refusal": tags.refusal(selected, current_user),
        "account_tags": account_tags(),
        "mentionable": mentionable(thread.people),
        "waiting": sorted(waiting, key=lambda m: m.send_at),
        "quiet_until": quiet_until(selected),
        "opens_at": business_hours.next_opening(selected.tracking_number.account, utcnow()),
        "later_choices": scheduled.LATER,
    }


def quiet_until(selected) -> datetime | None:
    """When a text sent now would leave, if quiet hours would hold it: the composer says so
    before it is sent (SPEC §2.12)."""
    return outbound.quiet_hold(selected, utcnow()) if selected.is_open else None


@bp.app_template_filter("local_input")
def local_input_filter(value) -> str:
    """A stored UTC time as a `datetime-local` box takes it, on the account's clock."""
    return value.replace(tzinfo=UTC).astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


@bp.app_template_filter("their_time")
def their_time_filter(value, phone: str) -> str:
    """A stored UTC time on the clock of the owner of `phone` (their zone, else the account's),
    and on the account's when the two differ: "Dec 08, 08:00 their time (Dec 08, 07:00 here)"."""
    here = when_filter(value)
    zone = quiet_hours.local_zone(phone, current_user.account.timezone)
    if zone.key == local_zone().key:
        return here
    theirs = value.replace(tzinfo=UTC).astimezone(zone).strftime("%b %d, %H:%M")
    return f"{theirs} their time ({here} here)"


def mentionable(people: list) -> list[dict]:
    """The teammates a note may mention (the account's active users), for the @ picker."""
    return [{"value": u.id, "label": u.name, "detail": u.email} for u in people if u.active]


def reasons(selected, refusals: dict) -> list[str]:
    """Why an open thread does not offer an action: someone else has it, or who may close it or
    bring people in. (Reassigning is only ever an admin's, releasing only the claimer's.)"""
    if not selected.is_open:
        return []
    shown = ["close", "participants"]
    if selected.claimed_by_id not in (None, current_user.id):
        shown.insert(0, "claim")
    return [refusals[action].message for action in shown if refusals[action]]


def filter_choices() -> dict:
    """What the list's filters offer: the numbers whose texts the user sees, the account's tags."""
    return {
        "filter_numbers": inbox.numbers_seen(current_user),
        "filter_tags": account_tags(),
    }


def account_tags() -> list:
    """The account's tags, read once a request: the list's filter and the thread's tag picker
    both offer them."""
    if "account_tags" not in g:
        g.account_tags = tags.listed(current_user)
    return g.account_tags


@bp.route("/conversations")
@login_required
def conversations():
    return render_template(
        "portal/inbox.html",
        since=inbox.change_stamp(current_user),
        **list_context(current_tab()),
        **filter_choices(),
    )


@bp.route("/conversations/<id:conversation_id>")
@login_required
def conversation(conversation_id: int):
    selected = inbox.opened(current_user, conversation_id)
    page = render_template(
        "portal/inbox.html",
        since=inbox.change_stamp(current_user),
        **list_context(current_tab()),
        **filter_choices(),
        **thread_context(selected),
    )
    db.session.commit()  # the read mark
    return page


@bp.route("/conversations/changes")
@login_required
def changes():
    """Live updates: 204 when nothing changed since `since`, else the list and thread anew, and
    the new texts to tell the user of (`alerts`)."""
    now = inbox.change_stamp(current_user)
    since = request.args.get("since", "")
    if since == now:
        return "", 204
    answer = {
        "since": now,
        "alerts": [alert(m) for m in inbox.alerts(current_user, since)],
        **redrawn(parse_id(request.args.get("selected"), "selected")),
    }
    return jsonify(answer)


@bp.route("/conversations/events")
@login_required
def events():
    """Live updates are pushed by the events process (`flask events`, app/live.py), where the
    load balancer sends this path; a web process holds no stream: 204, and the page polls."""
    return "", 204


def redrawn(selected_id: int | None) -> dict:
    """The list and (with `selected_id`) the thread as the page shows them, to swap in: `list`
    and `thread` HTML. The thread is read (marked so)."""
    tab = current_tab()
    listed = list_context(tab)
    answer = {"list": render_template("portal/_list.html", **listed)}
    if selected_id:
        try:
            selected = inbox.opened(current_user, selected_id)
        except NotFound:
            answer["thread"] = render_template("portal/_gone.html", list_args=listed["list_args"])
        else:
            answer["thread"] = render_template(
                "portal/_thread.html",
                tab=tab,
                tabs=TABS,
                list_args=listed["list_args"],
                **thread_context(selected),
            )
            db.session.commit()  # the read mark
    return answer


ALERT_START = 100  # characters of a new text a browser notification shows


def alert(message) -> dict:
    """A new text as the browser tells of it: who sent it, its start, where it is."""
    contact = message.conversation.contact
    return {
        "id": message.id,
        "title": f"New text from {contact.name or phones.pretty(contact.phone)}",
        "body": message.body
        if len(message.body) <= ALERT_START
        else message.body[:ALERT_START] + "…",
        "url": url_for("portal.conversation", conversation_id=message.conversation_id),
    }


def in_place() -> bool:
    """The page's script asked (fetch): the answer is what to swap in, not a page."""
    return request.headers.get("X-Requested-With") == "fetch"


def act(conversation_id: int, action, done, leaves: bool = False):
    """Run one action on a conversation the user can see (`done` says what happened, or makes
    it from what the action returned). Asked in place: the outcome with the
    list and thread to swap in, or the refusal (its status and message) and nothing changed.
    Else: flash the outcome; back to the thread (or to the list, when the action took the user
    out of the conversation)."""
    conversation = inbox.get(current_user, conversation_id)
    try:
        outcome = action(conversation)
        done = done(outcome) if callable(done) else done
    except DomainError as e:
        if in_place():
            return jsonify({"error": {"code": e.code, "message": e.message}}), e.status
        flash(e.message, "danger")
        leaves = False
    else:
        if in_place():
            answer = {"done": done, "since": inbox.change_stamp(current_user)}
            if leaves:
                return jsonify({**answer, "go": url_for("portal.conversations", **list_args())})
            return jsonify({**answer, **redrawn(conversation_id)})
        flash(done, "success")
    if leaves:
        return redirect(url_for("portal.conversations", **list_args()))
    return redirect(url_for("portal.conversation", conversation_id=conversation_id, **list_args()))


def chosen_user():
    """The user the form names by `user_id`: one of the account's active users, or Invalid."""
    user_id = parse_id(request.form.get("user_id"), "user_id")
    return people.account_user(current_user, user_id, field="user_id")


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
    return act(
        conversation_id,
        lambda c: claims.reassign(c, current_user, chosen_user()),
        "Conversation reassigned.",
    )


@bp.post("/conversations/<id:conversation_id>/messages")
@login_required
def send(conversation_id: int):
    claim_first = request.form.get("claim") == "1"
    files = uploaded()

    def send_it(c):
        send_at = scheduled.chosen_time(request.form.to_dict(), local_zone())
        return outbound.reply(
            c,
            current_user,
            request.form.get("body", ""),
            claim=claim_first,
            send_at=send_at,
            files=files,
        )

    return act(conversation_id, send_it, sent_or_waiting)


def sent_or_waiting(message) -> str:
    """What the sender is told: sent, or when it will leave and why."""
    if message.status != MessageStatus.SCHEDULED:
        return "Text sent."
    if message.held_for == HeldFor.QUIET_HOURS:
        their = their_time_filter(message.send_at, message.to_number)
        return f"Quiet hours for the contact: the text leaves {their}."
    return f"Text scheduled for {when_filter(message.send_at)}."


@bp.post("/conversations/<id:conversation_id>/messages/<id:message_id>/edit")
@login_required
def edit_scheduled(conversation_id: int, message_id: int):
    def edit(c):
        message = scheduled.get(c, message_id)
        form = {**request.form.to_dict(), "later": scheduled.Later.AT}
        return scheduled.edit(
            message,
            current_user,
            request.form.get("body"),
            scheduled.chosen_time(form, local_zone()) if request.form.get("send_at") else None,
        )

    return act(conversation_id, edit, sent_or_waiting)


@bp.post("/conversations/<id:conversation_id>/messages/<id:message_id>/cancel")
@login_required
def cancel_scheduled(conversation_id: int, message_id: int):
    return act(
        conversation_id,
        lambda c: scheduled.cancel(scheduled.get(c, message_id), current_user),
        "Scheduled text cancelled.",
    )


@bp.post("/conversations/<id:conversation_id>/notes")
@login_required
def add_note(conversation_id: int):
    mentions = request.form.getlist("mentions")
    return act(
        conversation_id,
        lambda c: notes.add(c, current_user, request.form.get("body", ""), mentions),
        "Note added.",
    )


@bp.post("/conversations/<id:conversation_id>/tags")
@login_required
def add_tag(conversation_id: int):
    def add(c):
        tags.add(c, current_user, {"tag_id": parse_id(request.form.get("tag_id"), "tag_id")})

    return act(conversation_id, add, "Tag added.")


@bp.post("/conversations/<id:conversation_id>/tags/<id:tag_id>/remove")
@login_required
def remove_tag(conversation_id: int, tag_id: int):
    return act(conversation_id, lambda c: tags.remove(c, current_user, tag_id), "Tag removed.")


@bp.post("/conversations/<id:conversation_id>/participants")
@login_required
def add_participant(conversation_id: int):
    return act(
        conversation_id,
        lambda c: claims.add_participant(c, current_user, chosen_user()),
        "Participant added.",
    )


@bp.post("/conversations/<id:conversation_id>/participants/<id:user_id>/remove")
@login_required
def remove_participant(conversation_id: int, user_id: int):
    return act(
        conversation_id,
        lambda c: claims.remove_participant(c, current_user, user_id),
        "Participant removed.",
        leaves=user_id == current_user.id and not current_user.is_admin,
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


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """A user's own notification settings: pause everything (on holiday), see what they get."""
    if request.method == "POST":
        notify.set_paused(current_user, request.form.get("paused") == "on")
        flash(
            "Notifications paused." if current_user.notifications_paused else "Notifications on.",
            "success",
        )
        return redirect(url_for("portal.profile"))
    return profile_page()


def profile_page(reply=None, values=None, errors=None, status: int = 200):
    """The profile, with the user's own saved replies (one of them in the form, to edit)."""
    if values is None:
        values = {"title": reply.title, "body": reply.body} if reply else {}
    page = render_template(
        "portal/profile.html",
        numbers=notify.subscriptions(current_user),
        replies=saved_replies.own(current_user),
        reply=reply,
        values=values,
        errors=errors or {},
        variables=saved_replies.VARIABLES,
    )
    return page, status


@bp.route("/profile/saved-replies", methods=["POST"])
@bp.route("/profile/saved-replies/<id:reply_id>", methods=["GET", "POST"])
@login_required
def own_saved_reply(reply_id: int | None = None):
    """One of the user's own saved replies to edit, or a new one."""
    reply = saved_replies.get(current_user, reply_id, shared=False) if reply_id else None
    if request.method == "GET":
        return profile_page(reply)
    values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
    try:
        saved = saved_replies.save(current_user, reply, **values, shared=False, **reply_files())
    except Invalid as e:
        flash(e.message, "danger")
        return profile_page(reply, values, e.fields, 422)
    flash(f"Saved reply “{saved.title}” saved.", "success")
    return redirect(url_for("portal.profile", _anchor="my-saved-replies"))


def reply_files() -> dict:
    """A saved reply form's files: those attached (`files`) and those to remove (`dropped`)."""
    return {
        "files": uploaded(),
        "dropped": {parse_id(v, "drop") for v in request.form.getlist("drop")} - {None},
    }


@bp.route("/saved-replies/<id:reply_id>/files/<id:file_id>")
@login_required
def saved_reply_file(reply_id: int, file_id: int):
    """A saved reply's picture or file, for those who may use the reply (the composer attaches
    it with the reply's text)."""
    file = saved_replies.file_of(current_user, reply_id, file_id)
    return served(file, storage().get(file.storage_key), "private, max-age=3600")


@bp.post("/profile/saved-replies/<id:reply_id>/delete")
@login_required
def own_saved_reply_delete(reply_id: int):
    """Delete one of the user's own saved replies."""
    reply = saved_replies.get(current_user, reply_id, shared=False)
    saved_replies.delete(current_user, reply)
    flash(f"Saved reply “{reply.title}” deleted.", "success")
    return redirect(url_for("portal.profile", _anchor="my-saved-replies"))


# Shown in the page only as a picture, a sound or a video; an SVG is a document that runs scripts.
INLINE_MEDIA = re.compile(r"(image|audio|video)/[a-z0-9][a-z0-9.+-]*")


def inline_type(content_type: str) -> str | None:
    """The stored content type when a browser may show it in the page, else None (a download)."""
    kind = content_type.split(";")[0].strip().lower()
    return kind if INLINE_MEDIA.fullmatch(kind) and kind != "image/svg+xml" else None


@bp.route("/media/<id:media_id>")
@login_required
def media(media_id: int):
    """An MMS picture or file, for a user who may see its conversation (from storage; an inbound
    one not kept yet is fetched from the provider and kept): a picture, sound or video with its
    stored type, anything else as a download, never a page."""
    item = db.session.get(MessageMedia, media_id)
    if item is None or item.message.conversation_id is None:
        abort(404)
    inbox.get(current_user, item.message.conversation_id)  # NotFound for anyone else
    try:
        content = attachments.content(item)
    except MediaRefused:
        abort(404, "This file is not kept by the carrier; it cannot be shown.")
    except MediaUnavailable:
        abort(502, "The file could not be fetched from the carrier just now.")
    return served(item, content, "private, max-age=3600")


@bp.route("/media/shared/<token>")
def shared_media(token: str):
    """An agent's picture or file, for the provider to fetch and send: by its signed address
    (attachments.shared_url), for an hour, without a session."""
    item = attachments.shared(token)
    return served(item, attachments.content(item), "no-store")


def served(item: MessageMedia, content: bytes, cache: str) -> Response:
    """A picture, sound or video with its stored type, anything else as a download."""
    kind = inline_type(item.content_type)
    disposition = "inline" if kind else f'attachment; filename="media-{item.id}"'
    return Response(
        content,
        mimetype=kind or "application/octet-stream",
        headers={"Content-Disposition": disposition, "Cache-Control": cache},
    )
