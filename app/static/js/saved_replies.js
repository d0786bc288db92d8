// Saved replies in the composer: the "Saved replies" button, or "/" and a word of the title typed at
// the start of the text or after a space, opens the picker (picker.js) over the replies the server
// put in the page, already filled in for this conversation and this agent; the one chosen goes in
// place of "/word" (or at the caret, from the button). The thread is redrawn by live updates, so
// each new composer is bound again. Notes (Note mode) take no saved reply. A reply's pictures and
// files are attached with its text (attachments.js).
(function () {
  "use strict";
  var PREVIEW = 90;  // characters of a body shown under its title

  function preview(body) {
    var line = body.replace(/\s+/g, " ").trim();
    return line.length > PREVIEW ? line.slice(0, PREVIEW - 1) + "…" : line;
  }

  // The reply's files, fetched from the app and attached as if picked.
  function attach(files) {
    if (!files.length || !window.SmsAttachments) return;
    Promise.all(files.map(function (f) {
      return fetch(f.url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(f.name); return r.blob(); })
        .then(function (blob) { return new File([blob], f.name, { type: f.type }); });
    }))
      .then(window.SmsAttachments.add)
      .catch(function (e) { window.SmsAttachments.failed("Could not attach " + e.message + "."); });
  }

  function bind() {
    var area = document.getElementById("body");
    var data = document.getElementById("saved-replies-data");
    if (!area || !data || area.disabled || area.hasAttribute("data-saved-replies")) return;
    area.setAttribute("data-saved-replies", "");
    var replies = JSON.parse(data.textContent);
    var picker = window.SmsPicker.attach(area, {
      trigger: "/",
      label: "Saved replies",
      when: function () { return !area.form.classList.contains("note-mode"); },  // texts only
      items: function () {
        return replies.map(function (reply) {
          return { label: reply.title, detail: preview(reply.body), value: reply.body, files: reply.files };
        });
      },
      choose: function (item) { attach(item.files || []); return item.value; },
    });
    var button = document.getElementById("saved-replies-button");
    if (button) button.addEventListener("click", function () { picker.open(); });
  }

  if (!window.SmsPicker) return;
  bind();
  document.addEventListener("sms:thread", bind);  // portal.js drew the thread anew
})();
