// The "Report" dialog (issue 17): any button with data-report-kind and data-report-id, wherever it is on the
// page and whenever it was added (chat messages arrive live), opens one dialog by event delegation on
// document. The member picks a reason (spam, abuse, inappropriate, other + text) and the report is posted as
// JSON to data-report-url (the button's, else this script tag's); the dialog then says what happened.
(function () {
  "use strict";
  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s) { return s; };
  var script = document.currentScript;
  var defaultUrl = script ? script.getAttribute("data-report-url") : null;
  if (!defaultUrl) {
    // a page of a circle (/c/<id>/… or /circles/<id>/…) that included this script without the URL
    var inCircle = /^\/(?:c|circles)\/(\d+)(?:\/|$)/.exec(window.location.pathname);
    if (inCircle) { defaultUrl = "/c/" + inCircle[1] + "/moderation/report"; }
  }
  var dialog = null;
  var current = null;
  // pages whose buttons are drawn by script (video comments) offer "Report" only where this script runs
  document.documentElement.setAttribute("data-report-ready", "");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function build() {
    dialog = el("dialog", { "class": "report-dialog", "aria-labelledby": "report-title" });
    var form = el("form", { method: "dialog" });
    form.appendChild(el("h2", { id: "report-title" }, gettext("Report")));
    // what is being reported, so the reporter can check before sending
    form.appendChild(el("blockquote", { "class": "report-what", "data-report-what": "" }));
    var fieldset = el("fieldset", {});
    fieldset.appendChild(el("legend", {}, gettext("Why are you reporting this?")));
    [["spam", gettext("Spam")], ["abuse", gettext("Abuse or harassment")],
     ["inappropriate", gettext("Inappropriate")], ["other", gettext("Other")]].forEach(function (pair, i) {
      var label = el("label", { "class": "check" });
      var input = el("input", { type: "radio", name: "reason", value: pair[0] });
      if (i === 0) { input.required = true; }
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + pair[1]));
      fieldset.appendChild(label);
    });
    form.appendChild(fieldset);
    var details = el("label", { "class": "field" }, gettext("Anything the staff should know (needed for “Other”):"));
    details.appendChild(el("textarea", { name: "details", rows: "3", maxlength: "1000" }));
    form.appendChild(details);
    form.appendChild(el("p", { "class": "report-result", role: "status", "aria-live": "polite" }));
    var buttons = el("div", { "class": "buttons" });
    var send = el("button", { type: "submit", "class": "primary", "data-report-send": "" }, gettext("Send report"));
    var cancel = el("button", { type: "button", "class": "link", "data-report-close": "" }, gettext("Cancel"));
    buttons.appendChild(send);
    buttons.appendChild(cancel);
    form.appendChild(buttons);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    cancel.addEventListener("click", function () { dialog.close(); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(form, send, cancel);
    });
  }

  function say(message, ok) {
    var result = dialog.querySelector(".report-result");
    result.textContent = message;
    result.className = "report-result " + (ok ? "success" : "error");
  }

  function submit(form, send, cancel) {
    var reason = form.querySelector('input[name="reason"]:checked');
    var details = form.querySelector('textarea[name="details"]').value.trim();
    if (!reason) { say(gettext("Choose a reason."), false); return; }
    if (reason.value === "other" && !details) { say(gettext("Say what is wrong."), false); return; }
    send.disabled = true;
    fetch(current.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ kind: current.kind, object_id: Number(current.id), reason: reason.value, details: details })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        var message = data.message || (data.error && data.error.message) || gettext("The report could not be sent. Try again.");
        if (response.ok) {
          say(message, true);
          send.hidden = true;  // the confirmation and one Close: nothing left to send twice
          form.querySelectorAll("fieldset, label.field").forEach(function (part) { part.style.display = "none"; });
          cancel.textContent = gettext("Close");
          if (current.button) { current.button.setAttribute("data-reported", "1"); }
        } else {
          say(message, false);
          send.disabled = false;
        }
      });
    }).catch(function () {
      say(gettext("The report could not be sent. Check your connection and try again."), false);
      send.disabled = false;
    });
  }

  // "Name: the first words of what they wrote", from the button's data-report-what or the item around it
  function describe(button) {
    if (button.getAttribute("data-report-what")) { return button.getAttribute("data-report-what"); }
    var holder = button.closest("[data-report-holder], .chat-message, .post, .comment, article, tr, li");
    if (!holder) { return ""; }
    var name = holder.querySelector(".member-name");
    var body = holder.querySelector(".chat-body, .post-body, .comment-body, .prose, blockquote, p");
    var text = body ? body.textContent.replace(/\s+/g, " ").trim() : "";
    if (text.length > 140) { text = text.slice(0, 139) + "…"; }
    var who = name ? name.textContent.trim() : "";
    // one message, so each language writes its own colon and quotation marks (Chinese 「」)
    return who && text ? gettext("%(name)s: “%(text)s”", { name: who, text: text }) : (who || text);
  }

  function open(button) {
    if (!dialog) { build(); }
    current = { kind: button.getAttribute("data-report-kind"), id: button.getAttribute("data-report-id"),
                url: button.getAttribute("data-report-url") || defaultUrl, button: button };
    var form = dialog.querySelector("form");
    form.reset();
    form.querySelectorAll("fieldset, label.field").forEach(function (part) { part.style.display = ""; });
    var send = dialog.querySelector("[data-report-send]");
    send.hidden = false;
    send.disabled = false;
    dialog.querySelector("[data-report-close]").textContent = gettext("Cancel");
    say("", true);
    var what = dialog.querySelector("[data-report-what]");
    what.textContent = describe(button);
    what.hidden = !what.textContent;
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-report-kind][data-report-id]") : null;
    if (!button) { return; }
    event.preventDefault();
    open(button);
  });
}());
