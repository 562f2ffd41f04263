// The hand-in form: the button waits until every upload has reached the server (a video is
// required for video work), and a double click sends the form once (the server also recognises
// the same work sent twice and keeps one version).
(function () {
  "use strict";
  var ARRIVED = ["uploaded", "checking", "processing", "ready"];

  function setup(form) {
    var button = form.querySelector("[data-submit-button]");
    var hint = form.querySelector("[data-submit-hint]");
    var videoBox = form.querySelector("[data-video-source]");
    var needsVideo = form.dataset.needsVideo === "true";
    var states = {}; // media id -> {state, video}

    function refresh() {
      var ids = Object.keys(states);
      var sending = ids.some(function (id) { return ARRIVED.indexOf(states[id].state) < 0; });
      var video = ids.some(function (id) { return states[id].video && ARRIVED.indexOf(states[id].state) >= 0; });
      var ok = !sending && (!needsVideo || video);
      button.disabled = !ok;
      if (hint) { hint.hidden = ok; }
    }

    form.addEventListener("upload:state", function (event) {
      var state = event.detail || {};
      if (state.id === undefined || state.id === null) { return; }
      if (state.state === "failed") { delete states[state.id]; } else {
        states[state.id] = { state: state.state, video: Boolean(videoBox && videoBox.contains(event.target)) };
      }
      refresh();
    });
    form.addEventListener("upload:cancel", function (event) {
      if (event.detail && event.detail.id !== undefined) { delete states[event.detail.id]; }
      refresh();
    });
    form.addEventListener("upload:change", function () {
      // Forget items whose hidden input is gone (replaced by another file, or cancelled).
      var present = {};
      form.querySelectorAll("[data-uploader] input[type=hidden]").forEach(function (input) { present[input.value] = true; });
      Object.keys(states).forEach(function (id) { if (!present[id]) { delete states[id]; } });
      refresh();
    });
    form.addEventListener("submit", function (event) {
      if (button.disabled || form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      button.disabled = true;
    });
    // Back/forward cache: a page shown again must be usable again.
    window.addEventListener("pageshow", function () { delete form.dataset.sent; refresh(); });
    // Items the page was rendered with (the form shown again after a refusal).
    form.querySelectorAll("[data-uploader] [data-media-id][data-state]").forEach(function (el) {
      states[el.dataset.mediaId] = { state: el.dataset.state, video: Boolean(videoBox && videoBox.contains(el)) };
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-submit-form]").forEach(setup);
  });
})();
