// The composer's picker: a list that opens over a textarea when a trigger character is typed at the
// start of a word (`@` for a teammate, `/` for a saved reply) or from a button, filters as the word
// grows, and is driven by the keyboard (an ARIA combobox with its listbox). Choosing an item puts
// its text in place of the trigger and the word. Options: `trigger`, `label` (the list's name),
// `items()` ({label, detail, value} each), `choose(item)` (the text put in), and `when()` (whether
// the trigger opens the list now; a box may carry several pickers, each for its own mode).
(function () {
  "use strict";
  var count = 0;

  function matches(item, words) {
    var text = (item.label + " " + (item.detail || "")).toLowerCase();
    return words.every(function (word) { return text.indexOf(word) >= 0; });
  }

  function attach(area, options) {
    var id = "smsp-" + ++count;
    var list = document.createElement("ul");
    list.id = id;
    list.className = "picker list-unstyled";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", options.label);
    list.hidden = true;
    area.parentNode.insertBefore(list, area.nextSibling);
    area.setAttribute("role", "combobox");
    area.setAttribute("aria-autocomplete", "list");
    if (!area.hasAttribute("aria-controls")) area.setAttribute("aria-controls", id);
    area.setAttribute("aria-expanded", "false");

    var start = -1;  // where the trigger sits in the text; the caret when opened from a button
    var typed = false;  // opened by the trigger (its word is replaced) rather than by a button
    var shown = [];
    var active = 0;

    function word() {
      return area.value.slice(start + (typed ? 1 : 0), area.selectionStart);
    }

    function draw() {
      var query = word().toLowerCase().trim();
      var words = query ? query.split(/\s+/) : [];
      var found = options.items().filter(function (item) { return matches(item, words); });
      var first = found.filter(function (item) { return item.label.toLowerCase().indexOf(query) === 0; });
      shown = first.concat(found.filter(function (item) { return first.indexOf(item) < 0; }));
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.textContent = "";
      shown.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = id + "-" + i;
        option.className = "picker-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", i === active ? "true" : "false");
        var label = document.createElement("span");
        label.className = "picker-label";
        label.textContent = item.label;
        option.appendChild(label);
        if (item.detail) {
          var detail = document.createElement("span");
          detail.className = "picker-detail";
          detail.textContent = item.detail;
          option.appendChild(detail);
        }
        option.addEventListener("mousedown", function (e) {
          e.preventDefault();  // keep the focus in the textarea
          active = i;
          choose();
        });
        list.appendChild(option);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "picker-empty";
        none.textContent = "Nothing matches “" + word() + "”.";
        list.appendChild(none);
      }
      if (shown.length) {
        area.setAttribute("aria-activedescendant", id + "-" + active);
        document.getElementById(id + "-" + active).scrollIntoView({ block: "nearest" });
      } else {
        area.removeAttribute("aria-activedescendant");
      }
    }

    function open(byTrigger) {
      typed = !!byTrigger;
      start = typed ? area.selectionStart - 1 : area.selectionStart;
      active = 0;
      list.hidden = false;
      area.setAttribute("aria-controls", id);  // a box may have several pickers: this one is open
      area.setAttribute("aria-expanded", "true");
      draw();
    }

    function close() {
      if (list.hidden) return;
      list.hidden = true;
      start = -1;
      area.setAttribute("aria-expanded", "false");
      area.removeAttribute("aria-activedescendant");
    }

    function choose() {
      var item = shown[active];
      if (!item) return;
      var text = options.choose(item);
      var end = area.selectionStart;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
      var caret = start + text.length;
      close();
      area.focus();
      area.setSelectionRange(caret, caret);
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }

    area.addEventListener("keydown", function (e) {
      if (list.hidden || e.isComposing) return;
      var keys = { ArrowDown: 1, ArrowUp: -1 };
      if (e.key in keys) {
        if (shown.length) active = (active + keys[e.key] + shown.length) % shown.length;
        draw();
      } else if (e.key === "Enter" || e.key === "Tab") {
        if (!shown.length) { close(); return; }
        choose();
      } else if (e.key === "Escape") {
        close();
      } else {
        return;
      }
      e.preventDefault();
      e.stopPropagation();  // Enter chooses here: it must not also send the text
    });

    area.addEventListener("input", function () {
      if (!list.hidden) {
        var caret = area.selectionStart;
        // Deleted the trigger, moved before it, or typed a space right after it: no longer asking.
        if (caret <= start || (typed && caret === start + 2 && /\s/.test(area.value[start + 1]))) {
          close();
        } else {
          draw();
        }
        return;
      }
      var at = area.selectionStart - 1;
      var before = at > 0 ? area.value[at - 1] : "";
      var wanted = !options.when || options.when();
      if (wanted && area.value[at] === options.trigger && (at === 0 || /\s/.test(before))) open(true);
    });

    area.addEventListener("blur", close);
    area.addEventListener("click", function () {
      if (!list.hidden && area.selectionStart < start) close();
    });

    return {
      open: function () { area.focus(); open(false); },
      close: close,
    };
  }

  window.SmsPicker = { attach: attach };
})();
