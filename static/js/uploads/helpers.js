// Helpers of the upload widget: sizes and lengths for people, the resume store, a video's length, speed.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var uploads = Circles.uploads = Circles.uploads || {};

  var STORE_PREFIX = "circles.upload:";
  var STORE_MAX_AGE_MS = 7 * 24 * 3600 * 1000; // longer than any server keeps an unfinished upload

  // -- small helpers -----------------------------------------------------------------------------

  var number = Circles.i18n.number;

  // A size by the rule of the server's human_bytes (lms/uploads/messages.py), so a file reads alike before
  // and after its upload: binary multiples under the symbols B, KB, MB, GB (the same in every language),
  // one decimal below 100 and none from 100 on (or `digits`), the number in the page's language.
  function formatBytes(bytes, digits) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    if (digits === undefined || digits === null) { digits = bytes >= 100 || i === 0 ? 0 : 1; }
    return Circles.i18n.gettext("%(size)s %(unit)s", { size: number(bytes, digits), unit: units[i] });
  }

  // `size` and `limit` with just enough decimals to differ when they do (as sizes_apart on the server).
  function sizesApart(size, limit) {
    var texts = [formatBytes(size), formatBytes(limit)];
    for (var digits = 1; digits <= 3 && texts[0] === texts[1] && size !== limit; digits += 1) {
      texts = [formatBytes(size, digits), formatBytes(limit, digits)];
    }
    return texts;
  }

  // The refusal of a file over the size limit, as the server's too_large_message words it: the sizes apart
  // and advice that fits the file (a video widget, else the kind its type suggests).
  function tooLarge(file, limit, widgetKind) {
    var gettext = Circles.i18n.gettext;
    var texts = sizesApart(file.size, limit);
    var kind = widgetKind === "video" ? "video" : String(file.type || "").split("/")[0];
    var advice = kind === "video" ? gettext("Shorten or compress the video first.")
      : kind === "audio" ? gettext("Shorten or compress the recording first.")
      : kind === "image" ? gettext("Choose a smaller photo, or shrink it first.")
      : gettext("Choose a smaller file.");
    return Circles.i18n.sentences(gettext("“%(name)s” is %(size)s, more than the limit of %(limit)s.",
      { name: file.name, size: texts[0], limit: texts[1] }), advice);
  }

  // A length in words with units, as the server's human_seconds (lms/uploads/messages.py) writes it:
  // "45 seconds", "20 minutes", "3 minutes 30 seconds" ("20 分钟"), never "20:00", which reads as a
  // time of day. Players keep m:ss for a moment in a video.
  // `coarse` (a time left, an estimate): whole minutes from two minutes on.
  function formatLength(seconds, coarse) {
    var ngettext = Circles.i18n.ngettext;
    var gettext = Circles.i18n.gettext;
    seconds = Math.max(0, Math.round(seconds));
    if (coarse && seconds >= 120) { seconds = Math.round(seconds / 60) * 60; }
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var minutesText = ngettext("%(num)d minute", "%(num)d minutes", minutes);
    if (hours) {
      var hoursText = ngettext("%(num)d hour", "%(num)d hours", hours);
      return minutes ? gettext("%(hours)s %(minutes)s", { hours: hoursText, minutes: minutesText }) : hoursText;
    }
    var secondsText = ngettext("%(num)d second", "%(num)d seconds", rest);
    if (!minutes) { return secondsText; }
    return rest ? gettext("%(minutes)s %(seconds)s", { minutes: minutesText, seconds: secondsText }) : minutesText;
  }

  // What the server holds of an unfinished upload (the state JSON's "upload"; see
  // templates/uploads/_unfinished.html, which writes the same words): {state, hint}.
  function unfinishedText(held) {
    var gettext = Circles.i18n.gettext;
    if (held.received === null || held.received === undefined) { // parts straight to the bucket: not counted here
      return {
        state: gettext("Not finished: waiting for the rest of the file."),
        hint: gettext("The parts already sent are kept. Choose the same file (%(total)s) to send the rest.",
          { total: formatBytes(held.length) })
      };
    }
    var percent = Circles.i18n.percent(held.percent);
    return {
      state: held.receiving
        ? gettext("Uploading… %(percent)s received so far.", { percent: percent })
        : gettext("Stopped: waiting for the rest of the file."),
      hint: gettext("This upload stopped at %(percent)s (%(received)s of %(total)s kept). Choose the same file to continue from there.",
        { percent: percent, received: formatBytes(held.received), total: formatBytes(held.length) })
    };
  }

  function storeKey(root, file) {
    return STORE_PREFIX + [root.dataset.kind, root.dataset.circleId || "", root.dataset.maxSeconds || "",
      file.name, file.size, file.lastModified].join("|");
  }

  // Names an unfinished upload by what the person chooses again: the file's name and size.
  function sameFileKey(name, size) { return String(name) + "|" + String(size); }

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
    sizesApart: sizesApart,
    tooLarge: tooLarge,
    formatLength: formatLength,
    unfinishedText: unfinishedText,
    storeKey: storeKey,
    sameFileKey: sameFileKey,
    storeGet: storeGet,
    storeSet: storeSet,
    storeDelete: storeDelete,
    prune: prune,
    videoDuration: videoDuration,
    Meter: Meter
  };
})();
