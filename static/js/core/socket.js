// One Socket.IO connection per page, re-dispatched as `document` events named "socket:<event>".
//
// Needs the vendored client (static/vendor/socket.io/socket.io.min.js) loaded before it. The server
// refuses anonymous connections, so only pages of signed-in people include this file; the session
// cookie authenticates. Besides every server event (`socket:media_state`, ...) it dispatches
// `socket:connect` (also after each reconnect: listeners refresh what they may have missed) and
// `socket:disconnect`. Other scripts reach the client as `Circles.socket.io` (emit, other namespaces).
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.socket || typeof window.io !== "function") { return; }

  function dispatch(name, detail) {
    document.dispatchEvent(new CustomEvent("socket:" + name, { detail: detail }));
  }

  // Transports as the site says (<meta name="socket-transports">, SOCKETIO_TRANSPORTS): by default
  // long-polling first, upgraded to a websocket when the path allows it, so proxies that drop
  // websockets still work; "websocket" alone where the proxy has no sticky sessions. Every other
  // namespace a page opens uses the same options (Circles.socketOptions). Reconnection (with
  // back-off) is the client's default.
  var meta = document.querySelector('meta[name="socket-transports"]');
  var transports = meta ? meta.content.split(",").map(function (t) { return t.trim(); }).filter(Boolean) : [];
  Circles.socketOptions = transports.length ? { transports: transports } : {};
  var socket = window.io("/", Circles.socketOptions);

  socket.onAny(function (event, payload) {
    dispatch(event, payload);
  });
  // This sign-in was ended elsewhere ("Where you're signed in", a password change): reloading leads
  // to the sign-in page instead of a page that silently stopped updating. A page that is already
  // leaving (its own "Sign out" form, whose answer carries the "You are signed out." message) is left
  // to go: a reload would cancel that navigation and lose the message.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  socket.on("session_ended", function () {
    socket.disconnect();
    if (!leaving) { window.location.reload(); }
  });
  socket.on("connect", function () {
    dispatch("connect", { recovered: socket.recovered === true });
  });
  socket.on("disconnect", function (reason) {
    dispatch("disconnect", { reason: reason });
    // The server closed it on purpose (e.g. a restart of the Socket.IO process that dropped the
    // session): the client does not retry that case by itself, so ask once again after a pause.
    if (reason === "io server disconnect") {
      setTimeout(function () { if (!socket.connected) { socket.connect(); } }, 3000);
    }
  });
  socket.on("connect_error", function (error) {
    // A refused connection (signed out in another tab) is not retried by the client; anything
    // else (server down, network gone) is, with its own back-off.
    dispatch("connect_error", { message: error && error.message, willRetry: socket.active });
  });

  Circles.socket = {
    io: socket,
    connected: function () { return socket.connected; },
    emit: function () { return socket.emit.apply(socket, arguments); }
  };
})();
