// The simulated phone: refresh the thread every second so the business's replies appear.
(function () {
  "use strict";
  var thread = document.getElementById("phone-thread");
  if (!thread) return;
  setInterval(function () {
    fetch(thread.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) thread.innerHTML = html; })
      .catch(function () {});
  }, 1000);
})();
