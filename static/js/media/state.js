// Following a media item's processing state: Socket.IO pushes, with a slow poll as the safety net.
//
// Used by the uploader (after the last byte) and by the player (an item not ready yet). The words are
// those of the state_text macro (templates/_partials/player.html), through Circles.i18n. A job whose
// worker died goes silent: no push comes, the poll asks the server, whose answer says so ("stalled",
// "retrying", see media_state_json), so the page tells the person instead of keeping an old percentage.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var media = Circles.media = Circles.media || {};
  var gettext = Circles.i18n.gettext;

  var POLL_MS = 5000;
  var TERMINAL = { ready: true, failed: true };

  function isTerminal(state) { return Boolean(state && TERMINAL[state.state]); }

  var percent = Circles.i18n.percent;

  // The sentence for a state JSON (a failure's reason comes translated from the server). `root` is the
  // widget or player, whose data-kind stands in when the JSON has no kind.
  function stateText(root, state) {
    if (!state) { return ""; }
    var kind = state.kind || (root && root.dataset && root.dataset.kind) || "video";
    if (state.retrying && !isTerminal(state)) {
      var attempt = { attempt: state.attempt, max: state.max_attempts };
      return kind === "video"
        ? gettext("The server is retrying this video (attempt %(attempt)d of %(max)d)…", attempt)
        : gettext("The server is retrying this file (attempt %(attempt)d of %(max)d)…", attempt);
    }
    if (state.stalled && !isTerminal(state)) {
      return kind === "video"
        ? gettext("Processing this video stopped unexpectedly. The server will say in a moment what happens next…")
        : gettext("Processing this file stopped unexpectedly. The server will say in a moment what happens next…");
    }
    switch (state.state) {
      case "uploading": return gettext("Uploading…");
      case "uploaded": return gettext("Uploaded. Waiting for its turn to be processed…");
      case "checking": return kind === "video" ? gettext("Checking the video…") : gettext("Checking the file…");
      case "processing":
        return gettext("Preparing the video for playback: %(percent)s done.", { percent: percent(state.progress || 0) });
      case "ready": return gettext("Ready.");
      case "failed": return state.error || gettext("This file could not be used. Upload it again, or choose another file.");
      default: return state.state;
    }
  }

  // Calls onState(stateJSON) whenever the item's state arrives (pushed or polled) until it is
  // ready or failed. `stateUrl` is signed for this viewer (the owner also gets pushes; others poll).
  // Returns a function that stops following.
  function follow(mediaId, stateUrl, onState) {
    var stopped = false;
    var lastSeen = 0;
    var timer = null;
    var inFlight = false;

    function accept(state) {
      if (stopped || !state || Number(state.id) !== Number(mediaId)) { return; }
      lastSeen = Date.now();
      onState(state);
      if (isTerminal(state)) { stop(); }
    }

    function refresh() {
      if (stopped || !stateUrl || inFlight) { return; }
      inFlight = true;
      fetch(stateUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          // Refused (the signed URL expired, or the item is gone): nothing more will come.
          if (response.status === 403 || response.status === 404) { stop(); return null; }
          return response.ok ? response.json() : null;
        })
        .then(function (state) { inFlight = false; accept(state); })
        .catch(function () { inFlight = false; }); // offline: the next tick tries again
    }

    function onPush(event) { accept(event.detail); }

    function tick() {
      // Pushes arrive about once a second while something changes; poll only when they went quiet.
      if (Date.now() - lastSeen >= POLL_MS - 500) { refresh(); }
    }

    function stop() {
      if (stopped) { return; }
      stopped = true;
      clearInterval(timer);
      document.removeEventListener("socket:media_state", onPush);
      document.removeEventListener("socket:connect", refresh);
      window.removeEventListener("online", refresh);
    }

    document.addEventListener("socket:media_state", onPush);
    document.addEventListener("socket:connect", refresh); // events missed while disconnected
    window.addEventListener("online", refresh);
    timer = setInterval(tick, POLL_MS);
    refresh();
    return stop;
  }

  // "/media/{id}/state" style templates → a URL for one item.
  function stateUrlFor(template, mediaId) {
    return template ? template.replace("{id}", encodeURIComponent(mediaId)) : "";
  }

  media.follow = follow;
  media.stateText = stateText;
  media.isTerminal = isTerminal;
  media.percent = percent;
  media.stateUrlFor = stateUrlFor;
})();
