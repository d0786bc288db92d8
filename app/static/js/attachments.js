// The composer's pictures and files: picked with "Attach" (again and again) or dropped on the
// composer, each shown (a thumbnail, or its name and size) with a button that removes it, and
// checked against what one MMS carries before it goes (the server checks again, by content). They
// travel in the form's own file field, so the form sends them with or without this script; a live
// redraw of the thread (portal.js) keeps them until they are sent.
(function () {
  "use strict";
  var MAX_FILES = 10, MAX_BYTES = 5 * 1024 * 1024;
  var PICTURE = /^image\/(jpeg|png|gif)$/;
  var attached = [];  // the File objects, in order

  function field() { return document.getElementById("files"); }

  function size(bytes) {
    return bytes < 1024 * 1024 ? Math.max(1, Math.round(bytes / 1024)) + " KB"
      : (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  // What keeps these files from going as one MMS, or null.
  function problem(files) {
    var total = 0, empty = null;
    files.forEach(function (f) { total += f.size; if (!f.size && !empty) empty = f; });
    if (files.length > MAX_FILES) return "At most " + MAX_FILES + " files go with one text.";
    if (total > MAX_BYTES) return "The files are over 5 MB together (" + size(total) + ").";
    if (empty) return empty.name + " is empty.";
    return null;
  }

  function set(files) {
    var input = field();
    if (!input) return;
    var transfer = new DataTransfer();
    files.forEach(function (f) { transfer.items.add(f); });
    input.files = transfer.files;
    attached = files;
    show();
  }

  function item(file, index) {
    var li = document.createElement("li");
    li.className = "attachment";
    if (PICTURE.test(file.type)) {
      var img = document.createElement("img");
      img.alt = "";
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.readAsDataURL(file);
      li.appendChild(img);
    }
    var name = document.createElement("span");
    name.className = "attachment-name";
    name.textContent = file.name + " · " + size(file.size);
    li.appendChild(name);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-link btn-sm p-0";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", "Remove " + file.name);
    remove.addEventListener("click", function () {
      var rest = attached.slice();
      rest.splice(index, 1);
      set(rest);
      var next = document.querySelector("#attachments button") || field();
      if (next) next.focus();
    });
    li.appendChild(remove);
    return li;
  }

  // `trouble`: what went wrong getting files, said in place of the files' own problem.
  function show(trouble) {
    var list = document.getElementById("attachments");
    if (!list) return;
    list.innerHTML = "";
    attached.forEach(function (file, i) { list.appendChild(item(file, i)); });
    list.hidden = attached.length === 0;
    var old = document.getElementById("attachments-error");
    if (old) old.remove();
    var why = trouble || problem(attached);
    if (why) {
      var line = document.createElement("p");
      line.id = "attachments-error";
      line.className = "field-error mb-0 attachments-error";
      line.setAttribute("role", "alert");
      line.tabIndex = -1;
      line.textContent = why;
      list.insertAdjacentElement("afterend", line);
    }
    var body = document.getElementById("body");
    if (body) body.dispatchEvent(new Event("input"));  // the count says MMS
  }

  document.addEventListener("change", function (e) {
    if (e.target.id !== "files") return;
    // A new pick adds to what is attached already.
    set(attached.concat(Array.prototype.slice.call(e.target.files)));
  });

  function composerOf(e) {
    var form = e.target.closest ? e.target.closest("#composer") : null;
    return form && field() && !form.classList.contains("note-mode") ? form : null;
  }

  document.addEventListener("dragover", function (e) {
    var form = composerOf(e);
    if (!form) return;
    e.preventDefault();
    form.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (e) {
    var form = composerOf(e);
    if (form && !form.contains(e.relatedTarget)) form.classList.remove("dropping");
  });
  document.addEventListener("drop", function (e) {
    var form = composerOf(e);
    if (!form) return;
    e.preventDefault();
    form.classList.remove("dropping");
    set(attached.concat(Array.prototype.slice.call(e.dataTransfer.files)));
  });

  // Files that cannot go are not sent: the reason is said by them, and the draft stays.
  document.addEventListener("submit", function (e) {
    if (e.target.id !== "composer" || e.target.classList.contains("note-mode")) return;
    if (problem(attached)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      document.getElementById("attachments-error").focus();
    }
  });

  // The thread drawn anew: its composer gets the files back, unless they were just sent (a
  // note takes none: they wait for the text).
  document.addEventListener("sms:thread", function (e) {
    if (e.detail && e.detail.sent && !e.detail.note) attached = [];
    if (attached.length) set(attached);
  });

  window.SmsAttachments = {
    count: function () { return attached.length; },
    // Files from elsewhere (a saved reply's), attached as if picked.
    add: function (files) { set(attached.concat(files)); },
    failed: function (why) { show(why); },
  };
})();
