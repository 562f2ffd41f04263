// Countdowns to live lessons (live-core): each <time data-live-countdown datetime="…"> shows the absolute
// time as the server wrote it; this turns it into "Starts in 2 days 3 h", "Starts in 1 h 4 min" or, in the
// last hour, "Starts in 4 minutes 5 seconds" ticking each second, and "Starting now" once the time has come. Without
// scripts the absolute time stays.
//
// On a lesson's page ([data-live-lesson]) the header follows the lesson's state pushed by the room
// (document event "live:stream_state", static/js/live/room.js): its badge takes the state's label (the
// page carries the translated labels as data-label-<state>) and the countdown gives way to the state's line.
(function () {
  "use strict";
  var i18n = window.Circles && window.Circles.i18n;
  function interpolate(s, v) {
    return s.replace(/%\((\w+)\)[sd]/g, function (_w, k) { return v[k]; });
  }
  var gettext = i18n ? i18n.gettext : function (s, v) { return interpolate(s, v || {}); };
  var ngettext = i18n ? i18n.ngettext : function (a, b, n, v) {
    var all = { num: n };
    Object.keys(v || {}).forEach(function (k) { all[k] = v[k]; });
    return interpolate(n === 1 ? a : b, all);
  };

  function render(el) {
    if (!el.isConnected) { return false; }
    var at = Date.parse(el.getAttribute("datetime"));
    if (isNaN(at)) { return false; }
    if (!el.title) { el.title = el.textContent; }
    var left = Math.floor((at - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = gettext("Starting now");
      return false;
    }
    var days = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    if (days > 0) {
      el.textContent = ngettext("Starts in %(num)d day %(hours)d h", "Starts in %(num)d days %(hours)d h", days, { hours: h });
    } else if (h > 0) {
      el.textContent = gettext("Starts in %(hours)d h %(minutes)d min", { hours: h, minutes: m });
    } else {
      // with units ("Starts in 1 minute 34 seconds"): a bare "1:34" reads as hours to some
      var secs = ngettext("%(num)d second", "%(num)d seconds", s);
      var time = !m ? secs : !s ? ngettext("%(num)d minute", "%(num)d minutes", m)
        : gettext("%(minutes)s %(seconds)s", { minutes: ngettext("%(num)d minute", "%(num)d minutes", m), seconds: secs });
      el.textContent = gettext("Starts in %(time)s", { time: time });
    }
    return true;
  }

  function follow(page) {
    document.addEventListener("live:stream_state", function (event) {
      var d = event.detail || {};
      if (!d.state || (d.lesson_id && String(d.lesson_id) !== page.getAttribute("data-live-lesson"))) { return; }
      if (page.getAttribute("data-state") === d.state) { return; }
      page.setAttribute("data-state", d.state);
      var badge = page.querySelector("[data-live-state-badge]");
      var label = page.getAttribute("data-label-" + d.state);
      if (badge && label) {
        badge.textContent = label;
        badge.className = "badge live-state live-state-" + d.state;
      }
      if (d.state === "ended" || d.state === "cancelled") {
        var calendar = page.querySelector("[data-live-calendar]");
        if (calendar) { calendar.hidden = true; } // nothing left to put in a calendar
      }
      var line = page.querySelector("[data-live-state-line]");
      if (line) {
        var text = d.state === "scheduled" ? "" : (window.Circles.liveStateText ? window.Circles.liveStateText(d) : label);
        if (text) {
          line.textContent = text;
          line.className = d.state === "live" ? "live-state-line" : "live-banner";
        }
      }
    });
    // The replay ready while the page is open: the player offers it; the line no longer says it is being prepared.
    document.addEventListener("live:replay_state", function (event) {
      var d = event.detail || {};
      if (d.state !== "ready" || (d.lesson_id && String(d.lesson_id) !== page.getAttribute("data-live-lesson"))) { return; }
      var line = page.querySelector("[data-live-state-line]");
      if (line && page.getAttribute("data-state") === "ended") { line.textContent = gettext("The lesson has ended."); }
    });
  }

  function start() {
    document.querySelectorAll("[data-live-lesson]").forEach(follow);
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-live-countdown]"));
    if (!items.length) { return; }
    function tick() {
      items = items.filter(render);
      if (items.length) { window.setTimeout(tick, 1000 - Date.now() % 1000); }
    }
    tick();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
