// The top bar's "Chats" link (and, on a circle's pages, its header's Chat tab): the unread chat messages of the
// person's circles (GET data-chat-unread-url),
// asked when the page opens, when it comes back into view, after a notification (an @mention), a moment after
// the server says there is new chat in one of the person's circles (`chat_activity`, content-free, at most one
// a channel every 5 s: lms.chat.pushes.activity) and every minute while it is in view. A signal is answered
// ACTIVITY_FETCH_DELAY_MS later (more than the server's window, so what it swallowed is counted) plus a
// random spread (a thousand members do not ask at once), and never sooner than MIN_INTERVAL_MS after the last
// ask. The count is a number written with textContent.
(function () {
  "use strict";
  var link = document.querySelector("[data-chat-unread-url]");
  if (!link) { return; }
  var badge = link.querySelector("[data-chat-unread]");
  var ngettext = (window.Circles && window.Circles.i18n) ? window.Circles.i18n.ngettext
    : function (a, b, n) { return n === 1 ? a : b; };

  var ACTIVITY_FETCH_DELAY_MS = 5500, SPREAD_MS = 4000, MIN_INTERVAL_MS = 5000;
  var lastAsked = 0, pending = null;

  function refresh() {
    if (document.hidden) { return; }
    lastAsked = Date.now();
    fetch(link.dataset.chatUnreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var n = Number(data.unread) || 0;
        badge.textContent = n > 99 ? "99+" : String(n);
        badge.hidden = n === 0;
        link.setAttribute("aria-label", n ? ngettext("Chats: %(num)d unread message", "Chats: %(num)d unread messages", n)
          : link.textContent.trim());
        // the circle header's Chat tab, on a circle's pages
        Array.prototype.forEach.call(document.querySelectorAll("a[data-chat-unread-circle]"), function (tab) {
          var count = Number((data.circles || {})[tab.dataset.chatUnreadCircle]) || 0;
          var badge = tab.querySelector(".chat-tab-unread");
          if (!count) { if (badge) { badge.remove(); } return; }
          if (!badge) {
            badge = document.createElement("span");
            badge.className = "badge chat-tab-unread";
            tab.appendChild(document.createTextNode(" "));
            tab.appendChild(badge);
          }
          badge.textContent = count > 99 ? "99+" : String(count);
          badge.setAttribute("aria-label", ngettext("%(num)d unread message", "%(num)d unread messages", count));
        });
      })
      .catch(function () { /* the next refresh tries again */ });
  }

  // new chat somewhere: one ask, a moment later, however many signals arrive meanwhile
  function soon() {
    if (pending !== null || document.hidden) { return; }
    var wait = Math.max(ACTIVITY_FETCH_DELAY_MS + Math.random() * SPREAD_MS, lastAsked + MIN_INTERVAL_MS - Date.now());
    pending = setTimeout(function () { pending = null; refresh(); }, wait);
  }

  refresh();
  document.addEventListener("socket:chat_activity", soon);
  document.addEventListener("visibilitychange", refresh);
  document.addEventListener("socket:notification", refresh);
  document.addEventListener("chat:read", refresh);
  setInterval(refresh, 60000);
})();
