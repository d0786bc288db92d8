/* SMS Conversations click-to-text widget (SPEC §2.7); embed and rules in widget/README.md.
   One global (window.SmsWidget), no dependency. Drawn in a Shadow DOM so the host page's CSS cannot
   reach it and its CSS cannot reach the page. Every piece of data goes into the DOM as text. */
(() => {
  "use strict";
  if (window.SmsWidget) return; // the snippet was pasted twice: the first copy does the work

  const script = document.currentScript || document.querySelector("script[data-widget-key]");
  const key = script && script.getAttribute("data-widget-key");
  const TEXT = {
    notAllowed: "This website is not allowed to send texts to us.",
    network: "Your message was not sent: we could not reach the server. Check your connection and try again.",
    failed: "Your message was not sent. Please try again.",
  };
  const CSS = `
:host{all:initial!important}
*{box-sizing:border-box;margin:0;font:inherit;color:inherit}
[hidden]{display:none!important}
.smsw-w{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328}
.smsw-launcher{position:fixed;z-index:2147483000;bottom:20px;right:20px;display:inline-block;padding:12px 20px;border:0;border-radius:999px;background:var(--smsw-color,#0d6efd);color:#fff;font-weight:600;text-decoration:none;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.smsw-panel{position:fixed;z-index:2147483001;bottom:80px;right:20px;width:360px;max-width:calc(100vw - 24px);max-height:calc(100vh - 100px);overflow:auto;padding:16px;border-radius:12px;background:#fff;box-shadow:0 10px 40px rgba(0,0,0,.3)}
.smsw-left .smsw-launcher,.smsw-left .smsw-panel{right:auto;left:20px}
@media (max-width:640px){.smsw-panel,.smsw-left .smsw-panel{left:12px;right:12px;width:auto}}
.smsw-head{display:flex;align-items:flex-start;justify-content:space-between;gap:8px}
.smsw-title{font-size:18px;font-weight:700}
.smsw-x{padding:0 8px;border:0;border-radius:6px;background:none;font-size:24px;line-height:1;cursor:pointer}
.smsw-field{margin-top:10px}
.smsw-label{display:block;margin-bottom:4px;font-size:14px;font-weight:600}
.smsw-input{display:block;width:100%;padding:8px 10px;border:1px solid #8c959f;border-radius:6px;background:#fff}
textarea.smsw-input{min-height:76px;resize:vertical}
.smsw-input[aria-invalid=true]{border-color:#cf222e}
.smsw-consent{display:flex;gap:8px;align-items:flex-start;margin-top:12px}
.smsw-consent input{margin-top:3px;width:18px;height:18px;flex:none;appearance:auto}
.smsw-consent .smsw-label{font-size:12px;font-weight:400}
.smsw-err{margin-top:4px;color:#cf222e;font-size:13px}
.smsw-alert:not(:empty){margin-top:12px;padding:8px 10px;border-radius:6px;background:#ffebe9;color:#82071e}
.smsw-send{display:block;width:100%;margin-top:12px;padding:10px;border:0;border-radius:6px;background:var(--smsw-color,#0d6efd);color:#fff;font-weight:600;cursor:pointer}
.smsw-done{margin-top:12px;font-size:16px}
.smsw-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
`;
  let cfg, blocked, host, root, launcher, panel;
  let form, alertBox, doneBox, closeBtn, sendBtn, honeypot;
  let open = false, busy = false, done = false, wanted = false;
  const fields = {}; // name → [control, error element]

  window.SmsWidget = Object.freeze({
    version: "1.0.0",
    open: () => show(),
    close: () => hide(),
  });
  if (!key || !script.src) return console.warn("SmsWidget: the script tag needs data-widget-key");

  // The API lives next to widget.js (so a path prefix the app is mounted under is kept).
  const endpoint = (path) =>
    new URL(`api/widget/v1/${encodeURIComponent(key)}/${path}`, new URL(".", script.src)).href;

  const h = (tag, props, ...kids) => {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (name === "on") for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
      else if (value === true) el.setAttribute(name, "");
      else if (value != null && value !== false) el.setAttribute(name, value);
    }
    el.append(...kids.filter((kid) => kid != null && kid !== "")); // strings become text nodes
    return el;
  };

  const say = (text) => (alertBox.textContent = text);
  const value = (name) => fields[name][0].value;
  const problem = (body, fallback) => (body && body.error && body.error.message) || fallback;
  const phoneLike = () =>
    matchMedia("(max-width: 640px)").matches || matchMedia("(pointer: coarse)").matches;

  async function load() {
    let response, body;
    try {
      response = await fetch(endpoint("config"), { credentials: "omit" });
      body = await response.json();
    } catch (error) {
      return console.warn("SmsWidget: could not load the widget's settings", error);
    }
    if (!document.body) await new Promise((ok) => document.addEventListener("DOMContentLoaded", ok));
    // Refused origin: still draw the button, so the site's owner sees why it does not work.
    if (response.ok) render(body);
    else if (response.status === 403) render({}, problem(body, TEXT.notAllowed));
    else return console.warn("SmsWidget:", problem(body, `settings answered ${response.status}`));
    const editing = document.getElementById(script.getAttribute("data-preview-form") || "");
    if (editing) editing.addEventListener("input", () => redraw(editing.elements));
  }

  // The admin's settings page: the preview follows the form's unsaved settings as they are typed.
  function redraw(edited) {
    const pick = (name) => (edited[name] ? edited[name].value : cfg[name]);
    const settings = { ...cfg };
    for (const name of ["button_text", "color", "position", "greeting", "mobile_behaviour"])
      settings[name] = pick(name);
    const consent = edited.consent_text; // empty: the default, shown as its placeholder
    settings.consent_text = (consent && (consent.value || consent.placeholder)) || cfg.consent_text;
    const wasOpen = open;
    host.remove();
    launcher = panel = null;
    open = done = false;
    render(settings, blocked);
    if (wasOpen && panel) {
      open = true; // shown, but the focus stays in the admin's form
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      if (blocked) say(blocked);
    }
  }

  function render(settings, refusal) {
    cfg = settings;
    blocked = refusal;
    host = h("div", { class: "smsw-host" });
    if (/^#[0-9a-f]{6}$/i.test(cfg.color || "")) host.style.setProperty("--smsw-color", cfg.color);
    // Open, so tests (and tools) can look inside; the isolation is the shadow boundary either way.
    root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      const sheet = new CSSStyleSheet(); // not an inline <style>: allowed by a strict CSP too
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h("style", {}, CSS));
    const side = cfg.position === "bottom-left" ? "left" : "right";
    const box = h("div", { class: `smsw-w smsw-${side}`, on: { keydown } });
    const label = cfg.button_text || "Text us";
    if (cfg.mobile_behaviour === "sms_link" && cfg.sms_number && phoneLike()) {
      // `?&body=` is the form both iOS and Android read.
      const number = String(cfg.sms_number).replace(/[^+\d]/g, "");
      const href = `sms:${number}?&body=${encodeURIComponent(cfg.greeting || "")}`;
      launcher = h("a", { class: "smsw-launcher", href }, label);
      box.append(launcher);
    } else {
      launcher = h("button", {
        type: "button",
        class: "smsw-launcher",
        "aria-haspopup": "dialog",
        "aria-expanded": "false",
        "aria-controls": "smsw-panel",
        on: { click: () => (open ? hide() : show()) },
      }, label);
      box.append(launcher, buildPanel());
    }
    root.append(box);
    document.body.append(host);
    if (wanted) show();
  }

  function field(name, label, control) {
    const id = `smsw-${name}`;
    const error = h("p", { id: `${id}-error`, class: "smsw-err", hidden: true });
    control.id = id;
    control.name = name;
    fields[name] = [control, error];
    // The error goes as soon as the field is changed: it said what to fix, not what is wrong now.
    control.addEventListener(control.type === "checkbox" ? "change" : "input", () => unmark(control, error));
    return h("div", { class: "smsw-field" }, h("label", { for: id, class: "smsw-label" }, label), control, error);
  }

  function buildPanel() {
    const input = (props) => h("input", { class: "smsw-input", required: true, ...props });
    const consent = field("consent", cfg.consent_text || "", h("input", { type: "checkbox", required: true }));
    consent.prepend(h("div", { class: "smsw-consent" }, consent.children[1], consent.children[0]));
    honeypot = h("input", { id: "smsw-website", name: "website", type: "text", tabindex: "-1", autocomplete: "off", "aria-hidden": "true" });
    sendBtn = h("button", { type: "submit", class: "smsw-send" }, "Send");
    form = h(
      "form",
      { class: "smsw-form", novalidate: true, hidden: !!blocked, on: { submit: send } },
      cfg.greeting && h("p", {}, cfg.greeting),
      field("name", "Your name", input({ type: "text", autocomplete: "name", maxlength: "80" })),
      field("phone", "Mobile number", input({ type: "tel", autocomplete: "tel", inputmode: "tel" })),
      field("message", "Message", h("textarea", { class: "smsw-input", required: true, rows: "3", maxlength: "1000" })),
      consent,
      h("div", { class: "smsw-hp", "aria-hidden": "true" }, h("label", { for: "smsw-website" }, "Website"), honeypot),
      sendBtn
    );
    closeBtn = h("button", { type: "button", class: "smsw-x", "aria-label": "Close", on: { click: () => hide() } }, "×");
    alertBox = h("div", { class: "smsw-alert", role: "alert" });
    doneBox = h("p", { class: "smsw-done", tabindex: "-1", hidden: true });
    const title = cfg.company ? `Text ${cfg.company}` : cfg.button_text || "Text us";
    panel = h(
      "div",
      { id: "smsw-panel", class: "smsw-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "smsw-title", hidden: true },
      h("div", { class: "smsw-head" }, h("h2", { id: "smsw-title", class: "smsw-title" }, title), closeBtn),
      form,
      alertBox,
      doneBox
    );
    return panel;
  }

  function show() {
    if (!launcher) return void (wanted = true); // not drawn yet: open once it is
    if (!panel) return launcher.click(); // the sms: link
    if (open) return;
    if (done) reset();
    open = true;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (blocked) {
      say(blocked);
      closeBtn.focus();
    } else fields.name[0].focus();
  }

  function hide() {
    wanted = false;
    if (!open) return;
    const focusWasInside = !!root.activeElement;
    open = false;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    if (focusWasInside) launcher.focus();
  }

  function keydown(event) {
    if (!open) return;
    if (event.key === "Escape") {
      event.preventDefault();
      hide();
    } else if (event.key === "Tab") {
      // Keep Tab and Shift+Tab inside the open dialog.
      const list = [...panel.querySelectorAll("a[href],button,input,textarea,select")].filter(
        (el) => el.tabIndex >= 0 && !el.disabled && !el.closest("[hidden]")
      );
      const at = list.indexOf(root.activeElement);
      const next = event.shiftKey
        ? at <= 0 && list[list.length - 1]
        : (at < 0 || at === list.length - 1) && list[0];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  }

  function unmark(control, error) {
    error.hidden = true;
    error.textContent = "";
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  }

  function clear() {
    for (const [control, error] of Object.values(fields)) unmark(control, error);
    say("");
  }

  function reset() {
    form.reset();
    clear();
    form.hidden = false;
    doneBox.hidden = true;
    done = false;
  }

  function wait(retryAfter) {
    const minutes = Math.ceil(parseInt(retryAfter, 10) / 60);
    if (!(minutes > 0)) return "Too many messages — please try again later.";
    return `Too many messages — please try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }

  async function send(event) {
    event.preventDefault();
    if (busy) return;
    clear();
    busy = true; // aria-disabled, not disabled: a disabled button would drop the focus
    sendBtn.setAttribute("aria-disabled", "true");
    sendBtn.textContent = "Sending…";
    let response, body;
    try {
      response = await fetch(endpoint("submissions"), {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          name: value("name"),
          phone: value("phone"),
          message: value("message"),
          consent: fields.consent[0].checked,
          page_url: location.href,
          website: honeypot.value,
        }),
      });
      body = await response.json().catch(() => ({}));
    } catch {
      response = null;
    }
    busy = false;
    sendBtn.removeAttribute("aria-disabled");
    sendBtn.textContent = "Send";
    if (!response) return say(TEXT.network);
    if (response.ok) {
      done = true;
      form.hidden = true;
      doneBox.textContent = `Thanks! We'll text you at ${body.phone_display || value("phone")}.`;
      doneBox.hidden = false;
      return doneBox.focus();
    }
    if (response.status === 429) return say(wait(response.headers.get("Retry-After")));
    for (const [name, messages] of Object.entries((body.error && body.error.fields) || {})) {
      if (!fields[name]) continue;
      const [control, error] = fields[name];
      error.textContent = [].concat(messages).join(" ");
      error.hidden = false;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", error.id);
    }
    say(problem(body, response.status === 403 ? TEXT.notAllowed : TEXT.failed));
    const first = form.querySelector("[aria-invalid=true]"); // the first in the form's order
    if (first) first.focus();
  }

  load();
})();
