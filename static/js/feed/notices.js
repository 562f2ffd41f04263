// A notice's read receipts page, kept current without reloading (templates/feed/notices/receipts.html).
//
// Listens to the page's Socket.IO connection (static/js/core/socket.js re-dispatches server events as
// "socket:<event>" on document):
// - `notice_receipt` {notice_id, membership_id, opened, confirmed}: a member opened or confirmed this
//   notice: their row (if on this page) is marked, and the counts are fetched again from the server
//   (the push carries no counts, so several pushes never add up wrong), at most once every 2 s;
// - `fan_out_progress` {id, done, total}: the progress of "Remind those who have not read" run as a
//   background job for a big circle.
// After a reconnect the counts are fetched again (a push may have been missed while away).
(function () {
  "use strict";
  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s) { return s; };
  var root = document.querySelector("[data-receipts]");
  if (!root) { return; }
  var noticeId = Number(root.getAttribute("data-notice-id"));
  var level = root.getAttribute("data-level");
  var pending = null;
  // A big circle's members open a new notice by the thousand: the counts are fetched at most once every
  // COUNTS_GAP ms (the first push at once, the rest of a burst in one trailing fetch), not once a push.
  var COUNTS_GAP = 2000;
  var lastFetch = 0;
  var timer = null;

  function scheduleCounts() {
    if (timer) { return; }
    timer = setTimeout(function () {
      timer = null;
      lastFetch = Date.now();
      refreshCounts();
    }, Math.max(0, lastFetch + COUNTS_GAP - Date.now()));
  }

  function refreshCounts() {
    if (pending) { scheduleCounts(); return; }
    pending = fetch(root.getAttribute("data-counts-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        pending = null;
        if (!counts) { return; }
        root.querySelectorAll("[data-count]").forEach(function (badge) {
          var name = badge.getAttribute("data-count");
          var value = name === "all" ? counts.total : counts[name];
          if (value !== undefined) { badge.textContent = String(value); }
        });
        var remind = root.querySelector("[data-remind]");
        if (remind) { remind.disabled = !counts.unread; }
      })
      .catch(function () { pending = null; });
  }

  function mark(cell, on) {
    if (!cell || !on || cell.getAttribute("data-live") === "1") { return; }
    cell.textContent = "✓ " + gettext("just now");
    cell.setAttribute("data-live", "1");
  }

  document.addEventListener("socket:notice_receipt", function (event) {
    var data = event.detail || {};
    if (Number(data.notice_id) !== noticeId) { return; }
    var row = root.querySelector('[data-receipt-member="' + Number(data.membership_id) + '"]');
    if (row) {
      mark(row.querySelector("[data-receipt-opened]"), data.opened);
      mark(row.querySelector("[data-receipt-confirmed]"), data.confirmed);
      var read = level === "confirmed" ? data.confirmed : data.opened;
      if (read) {
        row.classList.remove("is-unread");
        row.classList.add("is-read");
      }
    }
    scheduleCounts();
  });

  document.addEventListener("socket:connect", function (event) {
    if (event.detail && event.detail.recovered) { return; }
    refreshCounts();
  });

  var progress = root.querySelector("[data-fan-out-id]");
  if (progress) {
    document.addEventListener("socket:fan_out_progress", function (event) {
      var data = event.detail || {};
      if (Number(data.id) !== Number(progress.getAttribute("data-fan-out-id"))) { return; }
      var bar = progress.querySelector("[data-fan-out-bar]");
      bar.max = data.total || 1;
      bar.value = data.done || 0;
      progress.querySelector("[data-fan-out-text]").textContent = data.done >= data.total
        ? gettext("Every reminder is sent.")
        : gettext("%(done)s of %(total)s reminders sent", { done: data.done, total: data.total });
    });
  }
})();
