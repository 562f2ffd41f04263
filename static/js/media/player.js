// The video player rendered by templates/_partials/player.html (one per [data-player] element).
//
// Plays the HLS playlist through the vendored hls.js (loaded only when a player needs it) where the
// browser has Media Source Extensions, natively where it has not (older iPhones), or the MP4; any
// HLS failure falls back to the MP4. `element.dataset.source` says which it plays ("hls.js",
// "native-hls", "mp4"). Draws markers on a timeline under the video; any [data-seek="<seconds>"]
// inside the same [data-player-scope] (or inside the player) seeks there and plays. Other scripts
// read and move the position through `element.circlesPlayer` = {video, currentTime(), duration(),
// seek(t, play), setMarkers([{at, label}])}, and hear `player:timeupdate` ({time, duration}) and
// `player:ready` on the element (both bubble). A player whose media is not ready shows its state
// and turns into a video when it becomes ready (for the owner, who gets the pushes).
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var media = Circles.media;
  if (Circles.player || !media) { return; }
  var gettext = Circles.i18n.gettext;

  var script = document.currentScript;
  var HLS_JS = new URL("../../vendor/hls.js/hls.light.min.js", script ? script.src : location.href).href;
  var HLS_WORKER = new URL("../../vendor/hls.js/hls.worker.js", script ? script.src : location.href).href;
  var SMALL_STEP = 5;
  var BIG_STEP = 10;
  var hlsLoading = null;

  function loadHls() {
    if (window.Hls) { return Promise.resolve(window.Hls); }
    if (!hlsLoading) {
      hlsLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = HLS_JS;
        tag.addEventListener("load", function () { resolve(window.Hls); });
        tag.addEventListener("error", function () { hlsLoading = null; reject(new Error("hls.js")); });
        document.head.appendChild(tag);
      });
    }
    return hlsLoading;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = String(seconds % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  // Media Source Extensions (ManagedMediaSource on iPhones since iOS 17.1): where they exist hls.js
  // plays the playlist, whatever the browser says of native HLS. Chromium answers "maybe" for the
  // HLS type, but its native HLS does not follow the segments' redirects to presigned URLs on
  // another origin (the bucket), which hls.js fetches with CORS.
  function hasMediaSource() {
    return Boolean(window.ManagedMediaSource || window.MediaSource || window.WebKitMediaSource);
  }

  // Chooses the source: hls.js where MSE exist, native HLS without them (Safari on older iPhones),
  // the MP4 for a video without a playlist. Any HLS failure (the playlist or a segment does not load,
  // hls.js gives up, the element refuses the stream) moves to the MP4 where the video was, so the
  // viewer never sees a broken player while a playable file exists.
  function attachSource(root, video) {
    var hls = video.dataset.hls;
    var mp4 = video.dataset.mp4;
    var engine = null;

    function useMp4() {
      if (!mp4 || video.getAttribute("src") === mp4) { return; }
      var at = video.currentTime;
      var playing = !video.paused;
      if (engine) {
        var old = engine;
        engine = null;
        root.hls = null;
        old.destroy(); // detaches from the element
      }
      root.dataset.source = "mp4";
      video.addEventListener("loadedmetadata", function () {
        if (at) { video.currentTime = at; }
        if (playing) { video.play().catch(function () {}); }
      }, { once: true });
      video.src = mp4;
    }

    function useNative() {
      root.dataset.source = "native-hls";
      video.src = hls;
    }

    function useHlsJs(Hls) {
      root.dataset.source = "hls.js";
      // workerPath: the transmuxer runs in a worker loaded from our origin (CSP forbids blob: workers).
      engine = new Hls({ workerPath: HLS_WORKER });
      engine.on(Hls.Events.ERROR, function (event, data) {
        if (!data.fatal || !engine) { return; }
        if (mp4) { useMp4(); return; }
        // No MP4 to fall back on: let hls.js try again.
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) { engine.startLoad(); return; }
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) { engine.recoverMediaError(); }
      });
      engine.loadSource(hls);
      engine.attachMedia(video);
      root.hls = engine;
    }

    // With S3 the app redirects to a presigned URL that lives two minutes; a long video seeked
    // later fails on it. Load the app's URL again (checked again, presigned afresh) where it was;
    // failing again at once, it is unplayable here: say so instead of a dead player.
    var lastReload = 0;
    video.addEventListener("error", function () {
      var src = video.getAttribute("src");
      if (src !== mp4) {
        // The HLS stream failed in the element (native HLS, or the media source hls.js fed).
        if (mp4 && (engine || src === hls)) { useMp4(); }
        return;
      }
      if (Date.now() - lastReload < 10000) { unplayable(root, video); return; }
      lastReload = Date.now();
      var at = video.currentTime;
      var playing = !video.paused;
      video.addEventListener("loadedmetadata", function () {
        if (at) { video.currentTime = at; }
        if (playing) { video.play().catch(function () {}); }
      }, { once: true });
      video.removeAttribute("src");
      video.src = mp4;
    });

    var nativeHls = Boolean(video.canPlayType("application/vnd.apple.mpegurl"));
    if (!hls) {
      root.dataset.source = "mp4";
      if (mp4 && video.getAttribute("src") !== mp4) { video.src = mp4; }
      return;
    }
    if (!hasMediaSource()) {
      if (nativeHls) { useNative(); } else { useMp4(); }
      return;
    }
    var fallback = function () { if (nativeHls && !mp4) { useNative(); } else { useMp4(); } };
    loadHls().then(function (Hls) {
      if (Hls && Hls.isSupported()) { useHlsJs(Hls); } else { fallback(); }
    }, fallback);
  }

  // Nothing left to play (the MP4 failed twice in a row): a sentence instead of a dead player.
  function unplayable(root, video) {
    if (root.querySelector("[data-player-error]")) { return; }
    var line = document.createElement("p");
    line.className = "media-state error";
    line.setAttribute("role", "status");
    line.setAttribute("data-player-error", "");
    line.textContent = gettext("This video cannot be played right now. Reload the page to try again.");
    video.insertAdjacentElement("afterend", line);
  }

  function duration(root, video) {
    return video && isFinite(video.duration) && video.duration > 0 ? video.duration : Number(root.dataset.duration || 0);
  }

  function placeMarkers(root) {
    var timeline = root.querySelector(".player-timeline");
    var total = duration(root, root.querySelector("video"));
    if (!timeline || !total) { return; }
    timeline.querySelectorAll("[data-seek]").forEach(function (marker) {
      var at = Math.min(Math.max(Number(marker.dataset.seek) || 0, 0), total);
      marker.style.left = (at / total * 100) + "%"; // CSSOM, which the CSP allows (style attributes it does not)
    });
  }

  function renderMarkers(root, markers) {
    var timeline = root.querySelector(".player-timeline");
    if (!timeline) { return; }
    timeline.querySelectorAll(".player-marker").forEach(function (old) { old.remove(); });
    (markers || []).forEach(function (marker) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "player-marker";
      button.dataset.seek = String(marker.at);
      button.title = clock(marker.at) + " " + (marker.label || "");
      button.setAttribute("aria-label", gettext("Jump to %(time)s: %(label)s", { time: clock(marker.at), label: marker.label || "" }));
      timeline.appendChild(button);
    });
    timeline.hidden = !(markers && markers.length);
    placeMarkers(root);
  }

  function setup(root) {
    var video = root.querySelector("video");
    if (!video) { waitUntilReady(root); return; }
    if (root.circlesPlayer && root.circlesPlayer.video === video) { return; }
    var timeline = root.querySelector(".player-timeline");
    var now = timeline && timeline.querySelector(".player-now");
    if (timeline && timeline.querySelector(".player-marker")) { timeline.hidden = false; } // hidden until playable

    var api = {
      video: video,
      currentTime: function () { return video.currentTime || 0; },
      duration: function () { return duration(root, video); },
      seek: function (seconds, play) {
        var target = Math.max(0, Number(seconds) || 0);
        var total = duration(root, video);
        if (total) { target = Math.min(target, total); }
        var go = function () {
          video.currentTime = target;
          if (play !== false) { video.play().catch(function () { /* autoplay rules: the user presses play */ }); }
        };
        // Before the metadata is in, setting currentTime may be ignored: do it when it arrives.
        if (video.readyState >= 1) { go(); } else { video.addEventListener("loadedmetadata", go, { once: true }); }
      },
      setMarkers: function (markers) { renderMarkers(root, markers); }
    };
    root.circlesPlayer = api;

    video.addEventListener("loadedmetadata", function () { placeMarkers(root); });
    video.addEventListener("timeupdate", function () {
      var total = duration(root, video);
      if (now && total) { now.style.left = (video.currentTime / total * 100) + "%"; }
      root.dispatchEvent(new CustomEvent("player:timeupdate", {
        bubbles: true, detail: { time: video.currentTime, duration: total }
      }));
    });
    // Keys while the video has focus: space/k play or pause, arrows ±5 s, j/l ±10 s.
    video.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      var steps = { ArrowLeft: -SMALL_STEP, ArrowRight: SMALL_STEP, j: -BIG_STEP, l: BIG_STEP };
      if (event.key === " " || event.key === "k") {
        if (video.paused) { video.play().catch(function () {}); } else { video.pause(); }
      } else if (Object.prototype.hasOwnProperty.call(steps, event.key)) {
        api.seek(video.currentTime + steps[event.key], !video.paused);
      } else {
        return;
      }
      event.preventDefault();
    });
    // A click on the bar itself (not on a marker) moves there.
    if (timeline) {
      timeline.addEventListener("click", function (event) {
        if (event.target.closest("[data-seek]")) { return; }
        var total = duration(root, video);
        var box = timeline.getBoundingClientRect();
        if (total && box.width) { api.seek((event.clientX - box.left) / box.width * total); }
      });
    }
    attachSource(root, video);
    placeMarkers(root);
    root.dispatchEvent(new CustomEvent("player:ready", { bubbles: true, detail: { player: api } }));
  }

  function buildVideo(root, urls) {
    var video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    video.playsInline = true;
    video.tabIndex = 0;
    if (urls.poster) { video.poster = urls.poster; }
    video.dataset.mp4 = urls.mp4 || "";
    video.dataset.hls = urls.hls || "";
    return video;
  }

  // Not ready yet: keep the state line current, then become a player.
  function waitUntilReady(root) {
    var line = root.querySelector("[data-state-line]");
    if (!line || root.stopFollowing || media.isTerminal({ state: root.dataset.state })) { return; }
    root.stopFollowing = media.follow(root.dataset.mediaId, root.dataset.stateUrl || "", function (state) {
      root.dataset.state = state.state;
      line.textContent = media.stateText(root, state);
      line.classList.toggle("error", state.state === "failed");
      if (state.state === "ready" && state.urls && (state.urls.mp4 || state.urls.hls)) {
        if (state.duration) { root.dataset.duration = String(state.duration); }
        root.insertBefore(buildVideo(root, state.urls), line);
        line.remove();
        setup(root);
      }
    });
  }

  // A player for a media state JSON (the uploader's preview), inside `container`.
  function mount(container, state) {
    var root = document.createElement("figure");
    root.className = "player";
    root.setAttribute("data-player", "");
    root.dataset.mediaId = String(state.id);
    root.dataset.state = state.state;
    if (state.duration) { root.dataset.duration = String(state.duration); }
    root.appendChild(buildVideo(root, state.urls || {}));
    var timeline = document.createElement("div");
    timeline.className = "player-timeline";
    timeline.hidden = true;
    var now = document.createElement("span");
    now.className = "player-now";
    timeline.appendChild(now);
    root.appendChild(timeline);
    container.textContent = "";
    container.appendChild(root);
    setup(root);
    return root;
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-seek]");
    if (!trigger) { return; }
    var root = trigger.closest("[data-player]");
    if (!root) {
      var scope = trigger.closest("[data-player-scope]");
      root = scope && scope.querySelector("[data-player]");
    }
    if (!root || !root.circlesPlayer) { return; }
    event.preventDefault();
    root.circlesPlayer.seek(Number(trigger.dataset.seek));
  });

  function init() {
    document.querySelectorAll("[data-player]").forEach(setup);
  }

  Circles.player = { init: init, mount: mount, clock: clock };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
