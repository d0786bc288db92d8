// Live character and SMS segment count for every <textarea data-segments="ID-of-output">.
// With data-company="NAME" it counts the text as sent: each {company} replaced by NAME.
// GSM-7: 160 characters in one segment, 153 per segment beyond; extension characters count 2.
// Anything outside GSM-7 (an emoji, say) makes the whole text UCS-2: 70, then 67 per segment.
// With files attached to its form (an <input type="file" data-mms>), the text goes as one MMS.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "^{}\\[~]|€\f";

  function count(text) {
    var units = 0, gsm = true, i, c;
    for (i = 0; i < text.length; i++) {
      c = text.charAt(i);
      if (EXTENSION.indexOf(c) >= 0) { units += 2; }
      else if (BASIC.indexOf(c) >= 0) { units += 1; }
      else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; }  // UTF-16 code units: an emoji counts 2
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { units: units, segments: segments, encoding: gsm ? "GSM-7" : "UCS-2" };
  }

  function describe(r) {
    return r.units + " characters · " + r.segments + " SMS segment" + (r.segments === 1 ? "" : "s") +
      " (" + r.encoding + ")";
  }

  function mms(r, files) {
    return r.units + " characters · MMS with " + files + " file" + (files === 1 ? "" : "s");
  }

  // Attach the live count to every <textarea data-segments> below `root` (again after a swap).
  function bind(root) {
    var areas = (root || document).querySelectorAll("textarea[data-segments]");
    Array.prototype.forEach.call(areas, function (area) {
      var out = document.getElementById(area.getAttribute("data-segments"));
      if (!out || area.disabled) return;
      var company = area.getAttribute("data-company");
      var files = area.form && area.form.querySelector("input[type=file][data-mms]");
      var update = function () {
        var text = company === null ? area.value : area.value.split("{company}").join(company);
        var attached = files ? files.files.length : 0;
        out.textContent = attached ? mms(count(text), attached) : describe(count(text));
      };
      area.addEventListener("input", update);
      update();
    });
  }

  window.SmsSegments = { count: count, describe: describe, bind: bind };
  bind(document);
})();
