// The composer's Note mode: a switch "Text | Note" (and Ctrl+Alt+N, ⌘⌥N on a Mac) turns the
// composer into an internal note's box, which posts to the notes route; there `@` opens the list
// of teammates (SmsPicker, static/js/picker.js) and each one picked is sent as a mention while
// their `@First Last` is still in the note. A note may be written when a text cannot be sent: the
// composer's reason applies to Text mode only. Without this script the page offers a note form of
// its own.
(function () {
  "use strict";
  // The mode and the teammates picked outlive a live redraw of the thread (portal.js), which
  // draws the composer anew in Text mode.
  var mode = "text";
  var chosen = {};  // user id → the name inserted after "@"
  var composer = null;

  function teammates() {
    var island = document.getElementById("mentionable");
    try {
      return island ? JSON.parse(island.textContent) : [];
    } catch (e) {
      return [];
    }
  }

  function setUp() {
    var form = document.getElementById("composer");
    var area = form && form.querySelector("#body");
    if (!area || !form.getAttribute("data-note-action") || !window.SmsPicker) {
      composer = null;
      return;
    }
    var label = form.querySelector('label[for="body"]');
    var text = {
      action: form.getAttribute("action"),
      placeholder: area.getAttribute("placeholder"),
      disabled: area.disabled,
      describedBy: area.getAttribute("aria-describedby"),
      label: label.textContent,
    };
    var people = teammates();
    var picker = window.SmsPicker.attach(area, {
      trigger: "@",
      label: "Mention a teammate",
      when: function () { return mode === "note"; },  // in a text, "@" is only a character
      items: function () { return people; },
      choose: function (item) {
        chosen[item.value] = item.label;
        return "@" + item.label + " ";
      },
    });
    form.querySelector(".composer-mode").hidden = false;
    Array.prototype.forEach.call(form.querySelectorAll('input[name="mode"]'), function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) apply(radio.value); });
    });
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.querySelectorAll('input[name="mentions"]'), function (old) {
        old.remove();
      });
      if (mode !== "note") return;
      Object.keys(chosen).forEach(function (id) {
        if (area.value.indexOf("@" + chosen[id]) < 0) return;  // deleted from the note: not meant
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "mentions";
        input.value = id;
        form.appendChild(input);
      });
    });
    composer = { form: form, area: area, label: label, text: text, picker: picker };
    apply(mode);
  }

  function apply(next) {
    mode = next;
    var c = composer, note = mode === "note";
    if (!c) return;
    c.form.classList.toggle("note-mode", note);
    c.form.querySelector("#mode-" + mode).checked = true;
    c.form.setAttribute("action", note ? c.form.getAttribute("data-note-action") : c.text.action);
    c.area.disabled = note ? false : c.text.disabled;
    c.area.setAttribute("placeholder", note ? c.area.getAttribute("data-note-placeholder") : c.text.placeholder);
    c.area.setAttribute("aria-describedby", note ? "note-hint" : c.text.describedBy);
    c.label.textContent = note ? c.label.getAttribute("data-note-label") : c.text.label;
    if (!note) c.picker.close();
  }

  function isShortcut(e) {
    // Ctrl+Alt+N (Linux, Windows), ⌘⌥N (macOS, where ⌥N types a dead key: read the key's place).
    // AltGr is Ctrl+Alt on Windows: AltGr+N types a letter (ń), whose key is not "n".
    var n = e.key === "n" || e.key === "N";
    return (e.ctrlKey && e.altKey && !e.metaKey && n) || (e.metaKey && e.altKey && e.code === "KeyN");
  }

  document.addEventListener("keydown", function (e) {
    if (!composer || e.repeat || !isShortcut(e)) return;
    e.preventDefault();
    apply(mode === "note" ? "text" : "note");
    // A text that cannot be sent leaves the box disabled: the switch keeps the focus then.
    (composer.area.disabled ? composer.form.querySelector("#mode-text") : composer.area).focus();
  });

  // portal.js tells of a thread drawn anew before it puts the draft back in the composer.
  document.addEventListener("sms:thread", setUp);
  setUp();
})();
