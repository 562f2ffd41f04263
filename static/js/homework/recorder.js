// Record the homework video with the camera: preview, a timer that stops at the assignment's limit,
// stop, record again, then hand the recording to the page's video uploader as if it had been chosen
// as a file (a File built from the Blob, put into the uploader's file input through DataTransfer),
// so it goes through the same resumable upload, progress bar and checks.
// With data-recorder-audio on [data-recorder] it records sound only with the microphone (a chat's voice
// clip: the media pipeline takes sound-only clips where the upload accepts them).
(function () {
  "use strict";
  var gettext = window.Circles.i18n.gettext;

  var VIDEO_TYPES = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
  var AUDIO_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

  function pickType(types) {
    for (var i = 0; i < types.length; i += 1) {
      if (window.MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function setup(root) {
    var q = function (sel) { return root.querySelector(sel); };
    var stage = q("[data-recorder-stage]");
    var preview = q("[data-recorder-preview]");
    var timeLabel = q("[data-recorder-time]");
    var errorLine = q("[data-recorder-error]");
    var buttons = {
      open: q("[data-recorder-open]"), start: q("[data-recorder-start]"), stop: q("[data-recorder-stop]"),
      retake: q("[data-recorder-retake]"), use: q("[data-recorder-use]")
    };
    var maxSeconds = Number(root.dataset.maxSeconds || 0);
    var audioOnly = root.hasAttribute("data-recorder-audio");
    var words = audioOnly ? {
      cannot: gettext("This browser cannot record sound. Choose a sound file instead."),
      denied: gettext("The microphone could not be opened. Allow the microphone in your browser, or choose a sound file instead.")
    } : {
      cannot: gettext("This browser cannot record video. Choose a video file instead."),
      denied: gettext("The camera could not be opened. Allow the camera and microphone in your browser, or choose a video file instead.")
    };
    var target = root.parentElement.querySelector("[data-recorder-target] [data-uploader]") ||
      root.parentElement.querySelector("[data-recorder-target]");
    var stream = null, recorder = null, chunks = [], blob = null, type = "", timer = null, startedAt = 0;

    var supported = Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder &&
      window.DataTransfer);
    root.hidden = false;
    if (!supported) {
      buttons.open.disabled = true;
      buttons.open.title = words.cannot;
      return;
    }

    function show(which) {
      Object.keys(buttons).forEach(function (name) {
        if (name !== "open") { buttons[name].hidden = which.indexOf(name) < 0; }
      });
    }

    function fail(message) {
      errorLine.textContent = message;
      errorLine.hidden = false;
    }

    function live() {
      preview.srcObject = stream;
      preview.removeAttribute("src");
      preview.controls = false;
      preview.muted = true;
      preview.play().catch(function () {});
    }

    function tick() {
      var elapsed = (Date.now() - startedAt) / 1000;
      timeLabel.textContent = clock(elapsed);
      if (maxSeconds && elapsed >= maxSeconds) { stop(); }
    }

    function start() {
      if (!stream) { return; }
      errorLine.hidden = true;
      chunks = [];
      blob = null;
      live();
      try {
        recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      } catch (e) {
        fail(words.cannot);
        return;
      }
      recorder.addEventListener("dataavailable", function (event) { if (event.data && event.data.size) { chunks.push(event.data); } });
      recorder.addEventListener("stop", function () {
        blob = new Blob(chunks, { type: (recorder.mimeType || type || (audioOnly ? "audio/webm" : "video/webm")).split(";")[0] });
        preview.srcObject = null;
        preview.src = URL.createObjectURL(blob);
        preview.controls = true;
        preview.muted = false;
        show(["retake", "use"]);
      });
      recorder.start(1000);
      startedAt = Date.now();
      timeLabel.textContent = "0:00";
      timer = setInterval(tick, 250);
      show(["stop"]);
    }

    function stop() {
      clearInterval(timer);
      if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    }

    function release() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
    }

    function use() {
      if (!blob || !target) { return; }
      var ext = blob.type.indexOf("mp4") >= 0 ? (audioOnly ? "m4a" : "mp4") : blob.type.indexOf("ogg") >= 0 ? "ogg" : "webm";
      var file = new File([blob], "recording." + ext, { type: blob.type, lastModified: Date.now() });
      var input = target.querySelector("input[type=file]");
      if (!input) { return; }
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      release();
      if (preview.src) { URL.revokeObjectURL(preview.src); }
      stage.hidden = true;
      buttons.open.hidden = false;
      target.scrollIntoView({ block: "nearest" });
    }

    buttons.open.addEventListener("click", function () {
      errorLine.hidden = true;
      var wanted = audioOnly ? { audio: true } : { video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true };
      navigator.mediaDevices.getUserMedia(wanted)
        .then(function (s) {
          stream = s;
          type = pickType(audioOnly ? AUDIO_TYPES : VIDEO_TYPES);
          stage.hidden = false;
          buttons.open.hidden = true;
          live();
          show(["start"]);
        })
        .catch(function () { stage.hidden = false; fail(words.denied); });
    });
    buttons.start.addEventListener("click", start);
    buttons.stop.addEventListener("click", stop);
    buttons.retake.addEventListener("click", function () {
      if (preview.src) { URL.revokeObjectURL(preview.src); }
      if (!stream) { return; }
      start();
    });
    buttons.use.addEventListener("click", use);
    window.addEventListener("pagehide", release);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-recorder]").forEach(setup);
  });
})();
