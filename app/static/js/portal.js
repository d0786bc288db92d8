// The portal, live: ask whether anything changed since the page was drawn whenever the server's
// stream of events says `change` (and once a minute in case), or every two seconds where no stream
// can be opened; if it did, redraw the list and the open thread (keeping what the agent is typing).
// With a keyboard, Enter sends a text and Shift+Enter starts a new line; on a touch screen Enter
// starts a new line. Nothing here is needed for the portal to work: it only saves reloads.
(function () {
  "use strict";
  var root = document.querySelector("[data-changes-url]");
  if (!root) return;
  var since = root.getAttribute("data-since") || "";
  var url = root.getAttribute("data-changes-url");
  var INTERVAL = 2000, SAFETY = 60000;
  // After an action has answered, the page stays as drawn this long before it asks again: the
  // action's own change (its text on its way) is told at once and would redraw under the agent.
  var STILL = 2000;

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  // Outside the composer, what the agent opened (a panel with an id) or is typing (a field marked
  // data-draft, such as the contact's name and notes) is kept across a redraw too.
  function keep(thread) {
    var kept = { open: [], values: {}, focused: null };
    thread.querySelectorAll("details[id]").forEach(function (d) { if (d.open) kept.open.push(d.id); });
    thread.querySelectorAll("[data-draft]").forEach(function (f) {
      if (f.value !== f.defaultValue) kept.values[f.id] = f.value;
      if (document.activeElement === f) kept.focused = f.id;
    });
    return kept;
  }

  function restore(kept) {
    kept.open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    Object.keys(kept.values).forEach(function (id) {
      var f = document.getElementById(id);
      if (f) f.value = kept.values[id];
    });
    var focus = kept.focused && document.getElementById(kept.focused);
    if (focus) focus.focus();
  }

  // `sent`: the composer's text (or, with `note`, its note) has gone out, so it is not put back.
  function swapThread(html, sent, note) {
    var thread = document.getElementById("thread");
    var old = document.getElementById("body");
    var draft = old && !sent ? old.value : "";
    var focused = old && document.activeElement === old;
    var start = old ? old.selectionStart : 0, end = old ? old.selectionEnd : 0;
    var stick = nearBottom(thread) || nearBottom(document.scrollingElement);
    var kept = keep(thread);
    thread.innerHTML = html;
    // Scripts that dress the composer (notes.js) do so again before the draft goes back in.
    document.dispatchEvent(new CustomEvent("sms:thread", { detail: { sent: !!sent, note: !!note } }));
    restore(kept);
    var body = document.getElementById("body");
    if (body && !body.disabled && draft) {
      body.value = draft;
      if (focused) { body.focus(); body.setSelectionRange(start, end); }
    }
    if (window.SmsSegments) window.SmsSegments.bind(thread);
    if (stick) scrollToEnd();
  }

  function swapList(html) {
    var list = document.getElementById("list");
    var focusedId = document.activeElement && document.activeElement.getAttribute("data-conversation");
    var top = list.scrollTop;
    list.innerHTML = html;
    list.scrollTop = top;
    if (focusedId) {
      var again = list.querySelector('[data-conversation="' + focusedId + '"]');
      if (again) again.focus();
    }
  }

  // On a wide screen the thread scrolls in its own box; on a phone the page scrolls.
  function scrollToEnd() {
    var thread = document.getElementById("thread");
    if (getComputedStyle(thread).overflowY === "visible") {
      var page = document.scrollingElement;
      page.scrollTop = page.scrollHeight;
    } else {
      thread.scrollTop = thread.scrollHeight;
    }
  }

  // An action answering in place redraws the page too: a poll asked before it, or answered while
  // it is on its way, would put back an older page (and lose where a refusal is said).
  var acting = 0, redraws = 0, stillUntil = 0;

  // One question at a time, asked at the soonest time wanted; one wanted while another is on its
  // way is asked when that one is answered.
  var live = false, timer = null, due = 0, asking = false, askAgain = false;

  function askIn(ms) {
    var at = Math.max(Date.now() + ms, stillUntil);
    if (asking) { askAgain = askAgain || ms === 0; return; }
    if (timer !== null && due <= at) return;
    clearTimeout(timer);
    due = at;
    timer = setTimeout(function () { timer = null; poll(); }, at - Date.now());
  }

  function listen() {
    var events = root.getAttribute("data-events-url");
    if (!events || !window.EventSource) return;
    var source = new EventSource(events);
    // Opened (again): anything missed while it was closed is asked for.
    source.onopen = function () { live = true; askIn(0); };
    source.addEventListener("change", function () { askIn(0); });
    // Lost for a moment (the browser opens it again by itself) or refused (204, 401): poll.
    source.onerror = function () {
      live = false;
      askIn(INTERVAL);
    };
  }

  function poll() {
    var asked = redraws;
    asking = true;
    askAgain = false;
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "since=" + encodeURIComponent(since), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
        return r.status === 200 ? r.json() : null;
      })
      .then(function (data) {
        if (!data) return;
        if (window.SmsAlerts) window.SmsAlerts.tell(data.alerts);
        if (acting || asked !== redraws) return;
        since = data.since;
        swapList(data.list);
        if (window.SmsAlerts) window.SmsAlerts.title();
        if (typeof data.thread === "string") swapThread(data.thread);
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () {
        asking = false;
        askIn(askAgain ? 0 : live ? SAFETY : INTERVAL);
      });
  }

  // A phone's keyboard has no Shift+Enter: there Enter makes a new line and the button sends.
  var touch = window.matchMedia("(pointer: coarse)").matches;

  document.addEventListener("keydown", function (e) {
    var area = e.target;
    if (touch || area.id !== "body" || e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    var attached = window.SmsAttachments && window.SmsAttachments.count();
    if (!area.disabled && (area.value.trim() || attached) && area.form) area.form.requestSubmit();
  });

  // Actions in the thread answer in place: the form is posted by fetch and the server's list and
  // thread are swapped in; a refusal changes nothing but says why, once, by the form (the draft
  // stays). Without scripts, or on any answer that is not the expected one, the form posts as a
  // page does.
  function say(text, refused, near) {
    var old = document.getElementById("action-status");
    if (old) old.remove();
    var line = document.createElement("p");
    line.id = "action-status";
    line.className = refused ? "field-error mb-0" : "meta mb-0";
    line.setAttribute("role", refused ? "alert" : "status");
    line.textContent = text;
    line.tabIndex = -1;
    if (near) near.insertAdjacentElement("afterend", line);
    else document.getElementById("thread").prepend(line);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var thread = document.getElementById("thread");
    if (!window.fetch || !thread.contains(form) || form.method.toLowerCase() !== "post") return;
    e.preventDefault();
    var submitter = e.submitter;
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    var composer = form.id === "composer";
    var note = composer && form.classList.contains("note-mode");
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    if (note) data.delete("files");  // they wait for the text
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    acting += 1;
    fetch(action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
    })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) throw new Error("not an answer in place");
        return r.json();
      })
      .then(function (answer) {
        acting -= 1;
        stillUntil = Date.now() + STILL;
        if (answer.error) {
          Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
          say(answer.error.message, true, composer ? form.querySelector(".composer-foot") : form);
          return;
        }
        if (answer.go) { window.location.href = answer.go; return; }
        redraws += 1;
        since = answer.since;
        swapList(answer.list);
        swapThread(answer.thread, composer, note);
        if (window.SmsAlerts) window.SmsAlerts.title();
        say(answer.done, false, null);
        var body = document.getElementById("body");
        if (composer) scrollToEnd();
        if (body && !body.disabled) body.focus();
        else document.getElementById("action-status").focus();
      })
      .catch(function () { form.submit(); });  // the page post: a page loads, counts start anew
  });

  // A filtered list's address names only the filters that are set, so it reads well bookmarked.
  var filters = document.querySelector(".list-filters");
  if (filters) {
    var boxes = filters.querySelectorAll("select, input[type=search]");
    filters.addEventListener("submit", function () {
      boxes.forEach(function (box) { if (!box.value.trim()) box.disabled = true; });
    });
    // Back to this page from the browser's history: its boxes usable again.
    window.addEventListener("pageshow", function () {
      boxes.forEach(function (box) { box.disabled = false; });
    });
  }

  // A thread opened from a search result opens at the text or note found; any other at its end.
  var found = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (found && document.getElementById("thread").contains(found)) {
    found.scrollIntoView({ block: "center" });
  } else {
    scrollToEnd();
  }
  askIn(INTERVAL);
  listen();
})();
