// Following a media item's processing state: Socket.IO pushes, with a slow poll as the safety net.
//
// Used by the uploader (after the last byte) and by the player (an item not ready yet). The words come
// from data-msg-state-* attributes on a root element, rendered by the Jinja macros with gettext.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var media = Circles.media = Circles.media || {};

  var POLL_MS = 5000;
  var TERMINAL = { ready: true, failed: true };

  function isTerminal(state) { return Boolean(state && TERMINAL[state.state]); }

  function percent(value) {
    var lang = document.documentElement.lang || undefined;
    try {
      return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(value / 100);
    } catch (e) {
      return Math.round(value) + "%";
    }
  }

  // Replaces {name} placeholders (the macros render gettext messages with "{name}" as values).
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // The sentence for a state JSON, from the data-msg-state-<state> attributes of `root`.
  function stateText(root, state) {
    if (!state) { return ""; }
    if (state.state === "failed") {
      return state.error || root.getAttribute("data-msg-state-failed") || "";
    }
    var template = root.getAttribute("data-msg-state-" + state.state) || state.state;
    return fill(template, { percent: percent(state.progress || 0) });
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
  media.fill = fill;
  media.percent = percent;
  media.stateUrlFor = stateUrlFor;
})();
