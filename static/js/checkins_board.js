// A check-in task's board, kept current without reloading (templates/checkins/board.html).
//
// Listens to the page's Socket.IO connection (static/js/core/socket.js re-dispatches server events as
// "socket:<event>" on document):
// - `checkin_done` {task_id, user_id, day, is_makeup}: a member checked in; their row (if on this page)
//   is marked, and the counts are fetched again from the server (the push carries no counts, so several
//   pushes never add up wrong).
// After a reconnect the counts are fetched again (a push may have been missed while away).
(function () {
  "use strict";
  var gettext = window.Circles && window.Circles.i18n ? window.Circles.i18n.gettext : function (s) { return s; };
  var root = document.querySelector("[data-checkin-board]");
  if (!root) { return; }
  var taskId = Number(root.getAttribute("data-task-id"));
  var day = root.getAttribute("data-day");
  var pending = null;

  function refreshCounts() {
    if (pending) { return; }
    pending = fetch(root.getAttribute("data-counts-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        pending = null;
        if (!counts) { return; }
        root.querySelectorAll("[data-count]").forEach(function (badge) {
          var value = counts[badge.getAttribute("data-count")];
          if (value !== undefined) { badge.textContent = String(value); }
        });
      })
      .catch(function () { pending = null; });
  }

  document.addEventListener("socket:checkin_done", function (event) {
    var data = event.detail || {};
    if (Number(data.task_id) !== taskId || data.day !== day) { return; }
    var row = root.querySelector('[data-board-user="' + Number(data.user_id) + '"]');
    if (row && !row.classList.contains("is-done")) {
      row.classList.remove("is-missing");
      row.classList.add("is-done");
      row.querySelector("[data-board-state]").textContent = "✓ " + gettext("just now");
    }
    refreshCounts();
  });

  document.addEventListener("socket:connect", function (event) {
    if (event.detail && event.detail.recovered) { return; }
    refreshCounts();
  });
})();
