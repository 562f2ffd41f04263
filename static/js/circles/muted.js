// Where a member would write (templates/circles/_muted.html): the note "You are muted in this circle until …,
// reason" and the form right after it follow the mute live. The staff mute or unmute the member anywhere (the
// chat, the review queue, the members page) and every open page of theirs hears `member_muted` on the default
// namespace (lms.circles.operations.muting, through static/js/core/socket.js as "socket:member_muted"): the note
// shows or hides, the form's fields are disabled or enabled again. When the mute runs out, the same happens by
// itself. The chat's composer (its note is marked data-chat-muted) is kept by static/js/chat.js.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.muting) { return; }
  var i18n = Circles.i18n || { gettext: function (s) { return s; } };
  var timers = new WeakMap();

  var zoneMeta = document.querySelector('meta[name="time-zone"]');
  function when(iso) {
    var lang = document.documentElement.lang || undefined;
    var options = { dateStyle: "short", timeStyle: "short" };
    try {
      return new Date(iso).toLocaleString(lang, Object.assign({ timeZone: (zoneMeta && zoneMeta.content) || undefined }, options));
    } catch (e) { // a zone this browser does not know
      return new Date(iso).toLocaleString(lang, options);
    }
  }

  function guarded(note) {
    if (note.hasAttribute("data-muted-no-guard") || note.hasAttribute("data-chat-muted")) { return []; }
    var form = note.nextElementSibling;
    while (form && form.tagName === "SCRIPT") { form = form.nextElementSibling; } // the macro's own script tag
    if (!form || form.tagName !== "FORM") { return []; }
    return Array.prototype.slice.call(form.querySelectorAll("textarea, select, button, input:not([type=hidden])"));
  }

  // `reason` undefined: the note keeps its text (the server's, as the page was rendered)
  function show(note, until, reason) {
    var muted = Boolean(until) && new Date(until).getTime() > Date.now();
    clearTimeout(timers.get(note));
    if (note.hasAttribute("data-chat-muted")) { return; } // static/js/chat.js keeps the chat's note and composer
    if (!muted) {
      note.textContent = "";
    } else if (reason !== undefined) {
      note.textContent = i18n.gettext("You are muted in this circle until %(at)s. Reason: %(reason)s",
        { at: when(until), reason: reason || "—" });
    }
    note.hidden = !muted;
    note.setAttribute("data-muted-until", muted ? until : "");
    guarded(note).forEach(function (field) {
      if (muted && !field.disabled) {
        field.disabled = true;
        field.setAttribute("data-muted-disabled", "");
      } else if (!muted && field.hasAttribute("data-muted-disabled")) {
        field.disabled = false;
        field.removeAttribute("data-muted-disabled");
      }
    });
    var left = muted ? new Date(until).getTime() - Date.now() : 0;
    if (muted && left < 2147483647) { // the mute runs out while the page is open
      timers.set(note, setTimeout(function () { show(note, null); }, left + 500));
    }
  }

  function removed(note, circle) {
    clearTimeout(timers.get(note));
    note.setAttribute("data-removed", "");
    if (note.hasAttribute("data-chat-muted")) { return; } // static/js/chat.js says it in the chat
    note.textContent = i18n.gettext("You were removed from %(circle)s by the staff. What you write here can no longer be sent.",
      { circle: circle || "" });
    note.setAttribute("role", "alert");
    note.hidden = false;
    var form = note.nextElementSibling;
    while (form && form.tagName === "SCRIPT") { form = form.nextElementSibling; }
    if (!form || form.tagName !== "FORM") { return; }
    form.setAttribute("data-removed", "");
    form.querySelectorAll("textarea, input:not([type=hidden])").forEach(function (field) {
      if (field.tagName === "TEXTAREA" || field.type === "text") { field.readOnly = true; } else { field.disabled = true; }
    });
    form.querySelectorAll("button, select").forEach(function (field) { field.disabled = true; });
  }

  function notes(circleId) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-muted-notice]"), function (note) {
      return circleId === undefined || Number(note.dataset.circleId) === Number(circleId);
    });
  }

  function start() {
    notes().forEach(function (note) {
      var until = note.getAttribute("data-muted-until");
      if (until) { show(note, until); }
    });
    document.addEventListener("socket:member_muted", function (event) {
      var d = event.detail || {};
      notes(d.circle_id).forEach(function (note) { show(note, d.muted_until, d.reason); });
    });
    // removed from the circle (lms.circles.operations.membership REMOVED_PUSH): every place they would write
    // says so and stops taking text; what they typed stays there to read and copy (read-only, not disabled)
    document.addEventListener("socket:member_removed", function (event) {
      var d = event.detail || {};
      notes(d.circle_id).forEach(function (note) { removed(note, d.circle); });
    });
  }

  Circles.muting = { show: show };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
