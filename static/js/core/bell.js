// The top bar's bell: its unread count follows Socket.IO events live, on every signed-in page.
//
// Markup (templates/base.html): <a class="bell" data-bell data-socket-src=".." data-socket-module="..">
// with <span data-bell-count> (hidden when 0) and <span data-bell-status role="status">. Pages that push
// their own updates already load the Socket.IO client and static/js/core/socket.js; on the others this
// file loads both after the page (deferred, cached), so one connection per page either way. Events:
// `socket:notification` {id, kind, message, url, unread} and `socket:notifications_read` {unread}; after a
// reconnect the count is asked again (GET data-bell-count-url), since pushes may have been missed.
// Everything received is written with textContent: a message is the reader's plain text, never HTML.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.bell) { return; }

  function load(src, then) {
    var script = document.createElement("script");
    script.src = src;
    script.async = false;
    script.onload = then;
    document.head.appendChild(script);
  }

  function start() {
    var bell = document.querySelector("[data-bell]");
    if (!bell) { return; }
    var count = bell.querySelector("[data-bell-count]");
    var status = bell.querySelector("[data-bell-status]");
    var connectedOnce = false;

    function show(unread) {
      var n = Number(unread) || 0;
      count.textContent = n > 99 ? "99+" : String(n);
      count.hidden = n === 0;
      bell.classList.toggle("has-unread", n > 0);
    }

    document.addEventListener("socket:notification", function (event) {
      var detail = event.detail || {};
      show(detail.unread);
      if (status && typeof detail.message === "string") {
        status.textContent = detail.message;  // read out by screen readers; text, never markup
      }
      bell.classList.remove("rang");
      void bell.offsetWidth;  // restart the animation
      bell.classList.add("rang");
    });
    document.addEventListener("socket:notifications_read", function (event) {
      show((event.detail || {}).unread);
    });
    document.addEventListener("socket:connect", function (event) {
      var again = connectedOnce;
      connectedOnce = true;
      var url = bell.getAttribute("data-bell-count-url");
      if (!again || (event.detail && event.detail.recovered) || !url || !window.fetch) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { show(data.unread); } })
        .catch(function () { /* the next push corrects it */ });
    });

    Circles.bell = { show: show };
    if (Circles.socket) { return; }  // this page already opened the connection
    var module = bell.getAttribute("data-socket-module");
    if (typeof window.io === "function") {
      load(module, function () {});
    } else {
      load(bell.getAttribute("data-socket-src"), function () { load(module, function () {}); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
