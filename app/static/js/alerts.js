// Tapping the agent on the shoulder. The tab's title counts the open conversations with unread
// texts; each new text the agent would be notified of is read out to screen readers and, once
// they allowed it from their profile (never asked on load), shown as a browser notification that
// opens the thread, with a short tone when they turned the sound on for this device.
(function () {
  "use strict";
  var SOUND = "sms-conversations-sound";  // localStorage, per device: "on" or absent (off)
  var base = document.title;

  function title() {
    var total = document.getElementById("unread-total");
    var count = total ? parseInt(total.getAttribute("data-count"), 10) || 0 : 0;
    var cap = total ? parseInt(total.getAttribute("data-cap"), 10) : 100;
    document.title = count ? "(" + (count >= cap ? cap - 1 + "+" : count) + ") " + base : base;
  }

  function soundOn() {
    try { return window.localStorage.getItem(SOUND) === "on"; } catch (e) { return false; }
  }

  function tone() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    var audio = new Context(), beep = audio.createOscillator(), volume = audio.createGain();
    beep.frequency.value = 880;
    volume.gain.setValueAtTime(0.15, audio.currentTime);
    volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
    beep.connect(volume).connect(audio.destination);
    beep.start();
    beep.stop(audio.currentTime + 0.3);
  }

  function tell(alerts) {
    if (!alerts || !alerts.length) return;
    var region = document.getElementById("announcer");
    if (region) {
      region.textContent = alerts.map(function (a) { return a.title + ": " + a.body; }).join(". ");
    }
    if ("Notification" in window && Notification.permission === "granted") {
      alerts.forEach(function (a) {
        var shown = new Notification(a.title, { body: a.body, tag: "sms-text-" + a.id });
        shown.onclick = function () {
          window.focus();
          window.location.href = a.url;
          shown.close();
        };
      });
    }
    if (soundOn()) tone();
  }

  // The profile's "On this device" controls.
  var allow = document.getElementById("allow-notifications");
  var state = document.getElementById("notifications-state");
  var sound = document.getElementById("sound");

  function showState() {
    if (!state) return;
    if (!("Notification" in window)) {
      state.textContent = "This browser cannot show notifications.";
      if (allow) allow.hidden = true;
      return;
    }
    var words = {
      granted: "On: this browser shows a notification for each new text you are told of.",
      denied: "Blocked in this browser's settings for this site.",
      default: "Off: this browser has not been asked yet.",
    };
    state.textContent = words[Notification.permission] || words.default;
    if (allow) allow.hidden = Notification.permission !== "default";
  }

  if (allow) {
    allow.addEventListener("click", function () {
      var asked = Notification.requestPermission(showState);
      if (asked && asked.then) asked.then(showState);
    });
  }
  if (sound) {
    sound.checked = soundOn();
    sound.addEventListener("change", function () {
      try {
        if (sound.checked) window.localStorage.setItem(SOUND, "on");
        else window.localStorage.removeItem(SOUND);
      } catch (e) { /* storage refused: the sound stays off */ }
    });
  }
  var deviceControls = document.getElementById("this-device-controls");
  if (deviceControls) deviceControls.hidden = false;
  showState();

  window.SmsAlerts = { tell: tell, title: title };
  title();
})();
