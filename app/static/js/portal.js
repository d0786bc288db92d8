// The portal, live: every two seconds ask whether anything changed since the page was drawn; if it
// did, redraw the list and the open thread (keeping what the agent is typing). Enter sends a text,
// Shift+Enter starts a new line. Nothing here is needed for the portal to work: it only saves reloads.
(function () {
  "use strict";
  var root = document.querySelector("[data-changes-url]");
  if (!root) return;
  var since = root.getAttribute("data-since") || "";
  var url = root.getAttribute("data-changes-url");
  var INTERVAL = 2000;

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function swapThread(html) {
    var thread = document.getElementById("thread");
    var old = document.getElementById("body");
    var draft = old ? old.value : "";
    var focused = old && document.activeElement === old;
    var start = old ? old.selectionStart : 0, end = old ? old.selectionEnd : 0;
    var stick = nearBottom(thread) || nearBottom(document.scrollingElement);
    thread.innerHTML = html;
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

  function scrollToEnd() {
    var thread = document.getElementById("thread");
    thread.scrollTop = thread.scrollHeight;
  }

  function poll() {
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
        since = data.since;
        swapList(data.list);
        if (typeof data.thread === "string") swapThread(data.thread);
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { setTimeout(poll, INTERVAL); });
  }

  document.addEventListener("keydown", function (e) {
    var area = e.target;
    if (area.id !== "body" || e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (!area.disabled && area.value.trim() && area.form) area.form.requestSubmit();
  });

  scrollToEnd();
  setTimeout(poll, INTERVAL);
})();
