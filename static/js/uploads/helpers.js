// Helpers of the upload widget: sizes and times for people, the resume store, a video's length, speed.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var uploads = Circles.uploads = Circles.uploads || {};

  var STORE_PREFIX = "circles.upload:";
  var STORE_MAX_AGE_MS = 7 * 24 * 3600 * 1000; // longer than any server keeps an unfinished upload

  // -- small helpers -----------------------------------------------------------------------------

  var number = Circles.i18n.number;

  // Binary multiples under the symbols the server's size_text writes (KB, MB: the same in Chinese),
  // the number in the page's language through Intl.
  function formatBytes(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return number(bytes, bytes >= 100 || i === 0 ? 0 : 1) + " " + units[i];
  }

  function formatDuration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = String(seconds % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  function storeKey(root, file) {
    return STORE_PREFIX + [root.dataset.kind, root.dataset.circleId || "", root.dataset.maxSeconds || "",
      file.name, file.size, file.lastModified].join("|");
  }

  function storeGet(key) {
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      if (saved && Date.now() - (saved.saved_at || 0) < STORE_MAX_AGE_MS) { return saved; }
      if (saved) { localStorage.removeItem(key); }
    } catch (e) { /* storage blocked (private window): no resume after a reload, that is all */ }
    return null;
  }

  function storeSet(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* see storeGet */ }
  }

  function storeDelete(key) {
    try { localStorage.removeItem(key); } catch (e) { /* see storeGet */ }
  }

  function prune() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i -= 1) {
        var key = localStorage.key(i);
        if (key && key.indexOf(STORE_PREFIX) === 0) { storeGet(key); }
      }
    } catch (e) { /* see storeGet */ }
  }

  // The video's length as the browser reads it, or null when it cannot (the server decides then).
  function videoDuration(file) {
    return new Promise(function (resolve) {
      if (!window.URL || !URL.createObjectURL) { resolve(null); return; }
      var video = document.createElement("video");
      var url = URL.createObjectURL(file);
      var done = function (value) {
        clearTimeout(timer);
        video.removeAttribute("src");
        URL.revokeObjectURL(url);
        resolve(value);
      };
      var timer = setTimeout(function () { done(null); }, 4000);
      video.preload = "metadata";
      video.muted = true;
      video.addEventListener("loadedmetadata", function () {
        done(isFinite(video.duration) ? video.duration : null);
      });
      video.addEventListener("error", function () { done(null); });
      video.src = url;
    });
  }

  // Smoothed speed: an exponential average of the rate over half-second windows.
  class Meter {
    constructor() { this.t = 0; this.bytes = 0; this.speed = 0; }
    sample(loaded) {
      var now = performance.now();
      if (!this.t || loaded < this.bytes) { this.t = now; this.bytes = loaded; return; }
      var dt = (now - this.t) / 1000;
      if (dt < 0.5) { return; }
      var rate = (loaded - this.bytes) / dt;
      this.speed = this.speed ? this.speed * 0.7 + rate * 0.3 : rate;
      this.t = now;
      this.bytes = loaded;
    }
    pause() { this.t = 0; }
  }


  uploads.helpers = {
    number: number,
    formatBytes: formatBytes,
    formatDuration: formatDuration,
    storeKey: storeKey,
    storeGet: storeGet,
    storeSet: storeSet,
    storeDelete: storeDelete,
    prune: prune,
    videoDuration: videoDuration,
    Meter: Meter
  };
})();
