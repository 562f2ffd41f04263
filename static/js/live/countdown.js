// Countdowns to live lessons (live-core): each <time data-live-countdown datetime="…"> shows the absolute
// time as the server wrote it; this turns it into "Starts in 2 d 3:04:05" ticking each second, and
// "Starting now" once the time has come. Without scripts the absolute time stays.
(function () {
  "use strict";
  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s, v) {
    return s.replace(/%\((\w+)\)s/g, function (_w, k) { return v[k]; });
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function render(el) {
    var at = Date.parse(el.getAttribute("datetime"));
    if (isNaN(at)) { return false; }
    if (!el.title) { el.title = el.textContent; }
    var left = Math.floor((at - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = gettext("Starting now");
      return false;
    }
    var days = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    var clock = h + ":" + pad(m) + ":" + pad(s);
    el.textContent = days > 0 ? gettext("Starts in %(days)s d %(time)s", { days: String(days), time: clock })
                              : gettext("Starts in %(time)s", { time: clock });
    return true;
  }

  function start() {
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
