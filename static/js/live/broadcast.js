// The host's go-live page (templates/live/broadcast.html).
//
// Preview of what goes out: the camera, the screen, or the screen with the camera in a corner (drawn on a
// canvas, paced by a worker's timer so it keeps going while the teacher shows another tab); the microphone's
// level; an upload speed check. "Go live" asks the server (/live-ingest `start`), then records with
// MediaRecorder in half-second pieces (H.264 where the browser can, which the server only copies; VP8/VP9
// otherwise, which it encodes) and sends them one at a time, each after the server's answer, so they arrive
// in order. A dropped connection: Socket.IO reconnects by itself; the page starts a new recording and sends
// `start` again, and the server continues the lesson's recording. "Stop" ends the lesson for everyone.
// In real-time mode with students on stage (stage_host.js announces them as "live:stage_media") what goes out
// is the composed view: the teacher's picture with the students' cameras as labelled tiles, and the teacher's
// microphone mixed with the students' sound; with nobody on stage, the picture and microphone alone.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var gettext = Circles.i18n ? Circles.i18n.gettext : function (s) { return s; };
  var ngettext = Circles.i18n ? Circles.i18n.ngettext : function (a, b, n) { return n === 1 ? a : b; };
  var NS = "/live-ingest";
  var TIMESLICE_MS = 500; // a piece every half second: the server cuts a segment when the next keyframe arrives
  var KEYFRAME_MS = 1000; // one keyframe a second: one per HLS segment
  var MAX_QUEUE = 60; // pieces (30 s) kept while the connection is slow; more: start afresh
  var TYPES = ["video/webm;codecs=h264,opus", "video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"];

  function Broadcast(root) {
    this.root = root;
    this.circleId = Number(root.dataset.circleId);
    this.lessonId = Number(root.dataset.lessonId);
    this.preview = root.querySelector("[data-preview]");
    this.statusLine = root.querySelector("[data-broadcast-status]");
    this.errorLine = root.querySelector("[data-broadcast-error]");
    this.goLive = root.querySelector("[data-go-live]");
    this.stopButton = root.querySelector("[data-stop]");
    this.onAir = root.querySelector("[data-on-air]");
    this.meter = root.querySelector("[data-mic-level]");
    this.cameraSelect = root.querySelector("[data-camera]");
    this.micSelect = root.querySelector("[data-microphone]");
    this.stream = null; // what is sent: one video track, one audio track
    this.inputs = []; // the device streams behind it
    this.recorder = null;
    this.queue = [];
    this.sending = false;
    this.live = false; // the host pressed Go live and has not stopped
    this.mime = "";
    this.sent = 0;
    this.micOff = false;
    this.wentLiveAt = Date.parse(root.dataset.wentLiveAt || "") || null;
    this.graceEndsAt = Date.parse(root.dataset.graceEndsAt || "") || null;
    this.viewers = null;
    this.picture = null; // {source, screen, user, video}: the teacher's own picture and devices
    this.stagePeople = []; // [{id, name, stream}] on the real-time stage now
    this.stageCompositor = null; // draws the composed view while anyone is on stage
    this.mixer = null; // mixes the microphone with their sound meanwhile
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  // "2 minutes 5 seconds" (the grace left): a bare "2:05" beside a colon reads as a clock time, or as hours
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    var secs = ngettext("%(num)d second", "%(num)d seconds", s);
    var mins = ngettext("%(num)d minute", "%(num)d minutes", m);
    return !m ? secs : !s ? mins : gettext("%(minutes)s %(seconds)s", { minutes: mins, seconds: secs });
  }

  // Once a second: how long the lesson has been live, and, while it waits for this host (reconnecting, e.g.
  // after a reload of this page), who waits and for how much longer.
  Broadcast.prototype.tick = function () {
    var elapsed = this.root.querySelector("[data-elapsed]");
    var state = this.root.dataset.state;
    if (elapsed) {
      var on = this.wentLiveAt && (state === "live" || state === "reconnecting");
      elapsed.hidden = !on;
      if (on) { elapsed.textContent = gettext("Live for %(time)s", { time: clock((Date.now() - this.wentLiveAt) / 1000) }); }
    }
    var waiting = this.root.querySelector("[data-broadcast-waiting]");
    if (waiting) {
      var left = this.graceEndsAt ? (this.graceEndsAt - Date.now()) / 1000 : 0;
      var show = state === "reconnecting" && !this.live && left > 0;
      waiting.hidden = !show;
      if (show) {
        var time = { time: duration(left) };
        waiting.textContent = this.viewers === null
          ? gettext("Your students are waiting. The lesson waits for you for another %(time)s: press Go live to continue.", time)
          : ngettext("%(num)d student is waiting. The lesson waits for you for another %(time)s: press Go live to continue.",
            "%(num)d students are waiting. The lesson waits for you for another %(time)s: press Go live to continue.",
            this.viewers, time);
      }
    }
  };

  // The microphone off or on, for the students (the audio track stays, silent): kept across picture changes.
  // The microphone's own track: while the stage's mix goes out, the students stay audible.
  Broadcast.prototype.setMic = function (off) {
    this.micOff = off;
    if (this.picture) { this.picture.user.getAudioTracks().forEach(function (t) { t.enabled = !off; }); }
    var b = this.root.querySelector("[data-mic-mute]");
    if (b) {
      b.setAttribute("aria-pressed", off ? "true" : "false");
      b.textContent = off ? b.dataset.unmuteText : b.dataset.muteText;
    }
    var note = this.root.querySelector("[data-mic-muted]");
    if (note) { note.hidden = !off; }
  };

  Broadcast.prototype.say = function (text) { this.statusLine.textContent = text; };
  Broadcast.prototype.fail = function (text) {
    this.errorLine.textContent = text || "";
    this.errorLine.hidden = !text;
  };

  Broadcast.prototype.init = function () {
    var self = this;
    if (!window.MediaRecorder || !navigator.mediaDevices) {
      this.fail(gettext("This browser cannot broadcast. Use a current Chrome, Edge or Firefox, or OBS with the lesson's stream key."));
      return;
    }
    this.mime = TYPES.filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0] || "";
    if (!this.mime) {
      this.fail(gettext("This browser cannot record the WebM video the server takes. Use a current Chrome, Edge or Firefox, or OBS with the lesson's stream key."));
      return;
    }
    this.root.querySelectorAll('input[name="source"]').forEach(function (radio) {
      radio.addEventListener("change", function () { self.setUp(); });
    });
    this.cameraSelect.addEventListener("change", function () { self.setUp(); });
    this.micSelect.addEventListener("change", function () { self.setUp(); });
    this.goLive.addEventListener("click", function () { self.start(); });
    this.stopButton.addEventListener("click", function () {
      if (window.confirm(self.stopButton.dataset.confirmText)) { self.stop(true); }
    });
    this.root.querySelector("[data-speed-test]").addEventListener("click", function () { self.speedTest(); });
    var mic = this.root.querySelector("[data-mic-mute]");
    if (mic) { mic.addEventListener("click", function () { self.setMic(!self.micOff); }); }
    // the room panel beside the preview (room.js) tells the viewer count and the lesson's state
    document.addEventListener("live:stage_media", function (event) { self.setStage(event.detail || {}); });
    document.addEventListener("live:viewers", function (event) { self.viewers = (event.detail || {}).count; self.tick(); });
    document.addEventListener("live:stream_state", function (event) {
      var d = event.detail || {};
      if (d.lesson_id && Number(d.lesson_id) !== self.lessonId) { return; }
      if (d.went_live_at) { self.wentLiveAt = Date.parse(d.went_live_at) || self.wentLiveAt; }
      self.graceEndsAt = d.grace_ends_at ? Date.parse(d.grace_ends_at) : (d.state === "reconnecting" ? self.graceEndsAt : null);
      if (d.state && !self.live && self.root.dataset.state !== "ended") { self.root.dataset.state = d.state; }
      self.tick();
    });
    setInterval(function () { self.tick(); }, 1000);
    this.tick();
    this.connect();
    this.setUp();
  };

  // -- devices and the picture -------------------------------------------------------------------
  Broadcast.prototype.source = function () {
    var checked = this.root.querySelector('input[name="source"]:checked');
    return checked ? checked.value : "camera";
  };

  Broadcast.prototype.listDevices = function () {
    var self = this;
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      [[self.cameraSelect, "videoinput", function (n) { return gettext("Camera %(n)d", { n: n }); }],
       [self.micSelect, "audioinput", function (n) { return gettext("Microphone %(n)d", { n: n }); }]].forEach(function (spec) {
        var select = spec[0], chosen = select.value, n = 0;
        while (select.options.length > 1) { select.remove(1); }
        devices.filter(function (d) { return d.kind === spec[1] && d.deviceId; }).forEach(function (d) {
          n += 1;
          var option = document.createElement("option");
          option.value = d.deviceId;
          option.textContent = d.label || spec[2](n);
          select.appendChild(option);
        });
        select.value = chosen;
      });
    }).catch(function () {});
  };

  Broadcast.prototype.releaseInputs = function () {
    this.inputs.forEach(function (s) { s.getTracks().forEach(function (t) { t.stop(); }); });
    this.inputs = [];
    this.endStage();
    if (this.compositor) { this.compositor.stop(); this.compositor = null; }
    this.picture = null;
    if (this.audioContext) { this.audioContext.close().catch(function () {}); this.audioContext = null; }
  };

  Broadcast.prototype.setUp = function () {
    var self = this;
    var source = this.source();
    var wasRecording = Boolean(this.recorder);
    this.fail("");
    this.goLive.disabled = true;
    var camera = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
    if (this.cameraSelect.value) { camera.deviceId = { exact: this.cameraSelect.value }; }
    var audio = { echoCancellation: true, noiseSuppression: true };
    if (this.micSelect.value) { audio.deviceId = { exact: this.micSelect.value }; }
    var wanted = [];
    if (source !== "camera") {
      if (!navigator.mediaDevices.getDisplayMedia) {
        this.fail(gettext("This browser cannot share the screen. Choose the camera."));
        return;
      }
      wanted.push(navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false }));
    }
    wanted.push(navigator.mediaDevices.getUserMedia({ video: source === "screen" ? false : camera, audio: audio }));
    Promise.all(wanted).then(function (streams) {
      self.releaseInputs();
      self.inputs = streams;
      var screen = source !== "camera" ? streams[0] : null;
      var user = streams[streams.length - 1];
      var video;
      if (source === "both") {
        self.compositor = self.newCompositor(screen, user);
        video = self.compositor.track;
      } else {
        video = (screen || user).getVideoTracks()[0];
      }
      if (screen) {
        // The browser's own "Stop sharing" button: go back to the camera.
        screen.getVideoTracks()[0].addEventListener("ended", function () {
          var camera = self.root.querySelector('input[name="source"][value="camera"]');
          camera.checked = true;
          self.setUp();
        });
      }
      self.picture = { source: source, screen: screen, user: user, video: video };
      self.stream = null;
      self.output();
      self.setMic(self.micOff);
      self.levelMeter(user);
      self.goLive.disabled = self.live;
      self.listDevices();
      // the real-time stage (stage_host.js) publishes these same tracks to Janus
      announce("inputs", { screen: screen, user: user });
      if (wasRecording && self.live) { self.restartRecorder(); } // the picture changed mid-lesson
    }).catch(function (error) {
      self.fail(error && error.name === "NotAllowedError"
        ? gettext("The browser was not allowed to use the camera, microphone or screen. Allow it in the address bar, then try again.")
        : gettext("The camera, microphone or screen could not be opened. Check that no other program uses it, then try again."));
    });
  };

  Broadcast.prototype.levelMeter = function (stream) {
    var self = this;
    if (!stream.getAudioTracks().length || !(window.AudioContext || window.webkitAudioContext)) { return; }
    var Context = window.AudioContext || window.webkitAudioContext;
    var context = this.audioContext = new Context();
    var analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
    var data = new Float32Array(analyser.fftSize);
    var tick = function () {
      if (self.audioContext !== context) { return; }
      analyser.getFloatTimeDomainData(data);
      var sum = 0;
      for (var i = 0; i < data.length; i += 1) { sum += data[i] * data[i]; }
      self.meter.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
      setTimeout(tick, 100);
    };
    tick();
  };

  // Screen with the camera in the bottom-right corner, drawn on a canvas; with students on the real-time
  // stage, the teacher's picture (camera, screen, or both) beside their tiles. A worker's timer paces it: the
  // page's own timers and animation frames slow to a crawl while the teacher shows another tab. The worker
  // waits for each frame to be drawn before it times the next (one tick at a time, never a queue of them:
  // ticks piling up faster than frames are drawn froze the tab), and the pace follows what a frame costs:
  // a computer that takes long to draw gets fewer frames a second (at most about a third of its time goes
  // to drawing) and the teacher is told once (`onSlow(fps)`) instead of the tab freezing.
  var FRAME_MS = 66; // 15 frames a second
  var SLOWEST_MS = 500; // 2 frames a second at the least
  var SLOW_MS = 150; // below about 7 frames a second the teacher hears about it
  // `screen` or `camera` may be null (the camera or the screen alone, drawn with the stage's tiles).
  function Compositor(screen, camera, tickerUrl, onSlow) {
    var self = this;
    this.canvas = document.createElement("canvas");
    this.canvas.width = 1280;
    this.canvas.height = 720;
    this.context = this.canvas.getContext("2d");
    this.screen = screen ? element(screen) : null;
    this.camera = camera ? element(camera) : null;
    this.tiles = []; // [{id, name, stream, video}] of the people on stage
    this.track = this.canvas.captureStream(15).getVideoTracks()[0];
    this.cost = 0; // the average milliseconds a frame takes to draw (with the stage: and how late its tick came)
    this.interval = FRAME_MS;
    this.onSlow = onSlow;
    this.stopped = false;
    try {
      this.ticker = new Worker(tickerUrl);
      this.ticker.onmessage = function () { self.frame(); };
      this.ticker.postMessage({ after: 0 });
    } catch (e) {
      this.ticker = null;
      this.next(0);
    }
  }
  function element(stream) {
    var video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    video.play().catch(function () {});
    return video;
  }
  Compositor.prototype.frame = function () {
    if (this.stopped) { return; }
    var began = performance.now();
    this.draw();
    var took = performance.now() - began;
    // With the stage's tiles the page has more to do (each tile's video, WebRTC, and the canvas's own drawing,
    // which the browser does after draw() returns, outside `took`): how late this tick came counts as cost
    // too, so a page that falls behind draws less often and stays answering the teacher's clicks.
    var late = this.tiles.length && this.due ? Math.max(0, began - this.due) : 0;
    var sample = took + late;
    this.cost = this.cost ? this.cost * 0.8 + sample * 0.2 : sample;
    this.interval = Math.min(SLOWEST_MS, Math.max(FRAME_MS, this.cost * 3));
    var fps = Math.round(1000 / this.interval);
    this.canvas.dataset.fps = String(fps);
    this.canvas.dataset.drawMs = this.cost.toFixed(1); // what a frame costs this computer (README: the stage)
    if (this.interval > SLOW_MS && !this.warned && this.onSlow) {
      this.warned = true;
      this.onSlow(fps);
    }
    this.next(Math.max(0, this.interval - took));
  };
  Compositor.prototype.next = function (delay) {
    var self = this;
    this.due = performance.now() + delay;
    if (this.ticker) { this.ticker.postMessage({ after: delay }); } else { this.timer = setTimeout(function () { self.frame(); }, delay); }
  };
  Compositor.prototype.draw = function () {
    var c = this.context, w = this.canvas.width, h = this.canvas.height;
    c.fillStyle = "#000";
    c.fillRect(0, 0, w, h);
    var layout = this.tiles.length ? stageLayout(this.tiles.length, w, h) : null;
    this.drawPicture(layout ? layout.main : { x: 0, y: 0, w: w, h: h });
    if (layout) { this.drawTiles(layout.cells); }
  };
  // The teacher's picture in a box of the canvas's shape: the screen (with the camera in its corner) or the camera.
  Compositor.prototype.drawPicture = function (box) {
    var c = this.context, s = this.screen || this.camera;
    if (s && s.videoWidth) {
      var scale = Math.min(box.w / s.videoWidth, box.h / s.videoHeight);
      var sw = s.videoWidth * scale, sh = s.videoHeight * scale;
      c.drawImage(s, box.x + (box.w - sw) / 2, box.y + (box.h - sh) / 2, sw, sh);
    }
    var m = this.screen && this.camera;
    if (m && m.videoWidth) {
      var cw = box.w / 4, ch = cw * m.videoHeight / m.videoWidth, pad = 16 * box.w / this.canvas.width;
      c.drawImage(m, box.x + box.w - cw - pad, box.y + box.h - ch - pad, cw, ch);
    }
  };
  // Each person's camera filling their cell (cropped to it), their name below on a dark band; a grey cell
  // until their video arrives.
  Compositor.prototype.drawTiles = function (cells) {
    var c = this.context, gap = 2;
    this.tiles.forEach(function (tile, i) {
      var cell = cells[i];
      if (!cell) { return; }
      var x = cell.x + gap, y = cell.y + gap, w = cell.w - 2 * gap, h = cell.h - 2 * gap;
      c.fillStyle = "#333";
      c.fillRect(x, y, w, h);
      var v = tile.video;
      if (v && v.videoWidth) {
        var scale = Math.max(w / v.videoWidth, h / v.videoHeight);
        var sw = w / scale, sh = h / scale;
        c.drawImage(v, (v.videoWidth - sw) / 2, (v.videoHeight - sh) / 2, sw, sh, x, y, w, h);
      }
      var size = Math.max(12, Math.round(h * 0.13)), band = size + 8;
      c.font = size + "px system-ui, sans-serif";
      c.fillStyle = "rgba(0, 0, 0, 0.6)";
      c.fillRect(x, y + h - band, w, band);
      c.fillStyle = "#fff";
      c.textBaseline = "middle";
      c.fillText(label(c, tile, w - 12), x + 6, y + h - band / 2);
      if (tile.muted) { mutedMark(c, x + w - size - 8, y + 6, size + 2); }
      if (tile.turnEndsAt) { turnLeft(c, tile.turnEndsAt, x + 6, y + 6, size); }
    });
  };
  // What every page shows on a tile, drawn into the picture too: a red disc with a crossed-out microphone
  // (the host muted them), at the top right of a `d`-pixel square from (x, y).
  function mutedMark(c, x, y, d) {
    var r = d / 2, cx = x + r, cy = y + r;
    c.save();
    c.fillStyle = "#c62828";
    c.beginPath();
    c.arc(cx, cy, r, 0, 2 * Math.PI);
    c.fill();
    c.strokeStyle = "#fff";
    c.fillStyle = "#fff";
    c.lineWidth = Math.max(1.5, d / 12);
    c.lineCap = "round";
    c.fillRect(cx - d * 0.09, cy - d * 0.28, d * 0.18, d * 0.34); // the microphone
    c.beginPath();
    c.arc(cx, cy, d * 0.2, 0.15 * Math.PI, 0.85 * Math.PI); // its cradle
    c.moveTo(cx, cy + d * 0.2);
    c.lineTo(cx, cy + d * 0.3);
    c.moveTo(cx - d * 0.3, cy - d * 0.3); // and the stroke through it
    c.lineTo(cx + d * 0.3, cy + d * 0.3);
    c.stroke();
    c.restore();
  }
  // The turn's time left ("0:42", as the tiles on the pages show it) on a dark pill at (x, y).
  function turnLeft(c, endsAt, x, y, size) {
    var text = Circles.stage ? Circles.stage.clock((endsAt - Date.now()) / 1000) : "";
    if (!text) { return; }
    c.save();
    c.font = "bold " + size + "px system-ui, sans-serif";
    var w = c.measureText(text).width + 12;
    c.fillStyle = "rgba(0, 0, 0, 0.6)";
    c.fillRect(x, y, w, size + 8);
    c.fillStyle = "#fff";
    c.textBaseline = "middle";
    c.fillText(text, x + 6, y + (size + 8) / 2);
    c.restore();
  }
  // The name cut with "…" to fit the tile (measured once per name, font and width).
  function label(c, tile, width) {
    var key = c.font + "|" + width;
    if (tile.labelKey === key) { return tile.label; }
    var text = tile.name || "";
    if (c.measureText(text).width > width) {
      while (text.length > 1 && c.measureText(text + "…").width > width) { text = text.slice(0, -1); }
      text += "…";
    }
    tile.labelKey = key;
    tile.label = text;
    return text;
  }
  // The people on stage now, in their order: a hidden video per person, kept while they stay.
  Compositor.prototype.setTiles = function (people) {
    var before = {};
    if (!this.tiles.length && people.length) { this.warned = false; } // the stage's own slowness is told once
    this.tiles.forEach(function (tile) { before[tile.id] = tile; });
    this.tiles = people.map(function (person) {
      var tile = before[person.id] || { id: person.id, stream: null, video: null };
      delete before[person.id];
      if (tile.name !== person.name) { tile.name = person.name; tile.labelKey = null; }
      tile.muted = !!person.muted;
      tile.turnEndsAt = person.turnEndsAt || null;
      var stream = person.stream || null;
      if (tile.stream !== stream) {
        tile.stream = stream;
        if (tile.video) { tile.video.srcObject = stream; tile.video.play().catch(function () {}); } else if (stream) { tile.video = element(stream); }
      }
      return tile;
    });
    Object.keys(before).forEach(function (id) { if (before[id].video) { before[id].video.srcObject = null; } });
    this.canvas.dataset.composedTiles = String(this.tiles.length);
  };
  Compositor.prototype.stop = function () {
    this.stopped = true;
    if (this.ticker) { this.ticker.terminate(); }
    if (this.timer) { clearTimeout(this.timer); }
    this.track.stop();
    this.setTiles([]);
  };

  // Where the teacher's picture and n tiles go on a w×h canvas: a k×k grid of cells of the canvas's shape; the
  // picture takes the top-left (k-m)×(k-m) cells, the tiles the m columns on the right (top to bottom), then the
  // m rows below it (left to right). Up to 4 people: one column, the picture centred beside it. Tiles stay at
  // least 256×144 (a face and a name read at that size) up to 16 people; the teacher's picture keeps 60 to 80 %
  // of the width.
  var LAYOUTS = [[4, 1], [5, 1], [5, 2], [6, 2], [7, 2], [7, 3], [8, 3]]; // [k, m]: 7, 9, 16, 20, 24, 33, 39 tiles
  function stageLayout(n, w, h) {
    var k = 0, m = 0, i, r, col;
    for (i = 0; i < LAYOUTS.length; i += 1) {
      k = LAYOUTS[i][0];
      m = LAYOUTS[i][1];
      if (k * k - (k - m) * (k - m) >= n) { break; }
    }
    var cw = w / k, ch = h / k, inner = k - m, cells = [];
    var main = { x: 0, y: 0, w: cw * inner, h: ch * inner };
    if (m === 1 && n <= k) {
      main.y = (h - main.h) / 2;
      for (i = 0; i < n; i += 1) { cells.push({ x: w - cw, y: (h - n * ch) / 2 + i * ch, w: cw, h: ch }); }
      return { main: main, cells: cells };
    }
    for (r = 0; r < k; r += 1) {
      for (col = inner; col < k; col += 1) { cells.push({ x: col * cw, y: r * ch, w: cw, h: ch }); }
    }
    for (r = inner; r < k; r += 1) {
      for (col = 0; col < inner; col += 1) { cells.push({ x: col * cw, y: r * ch, w: cw, h: ch }); }
    }
    return { main: main, cells: cells.slice(0, n) };
  }

  Broadcast.prototype.newCompositor = function (screen, camera) {
    var self = this;
    return new Compositor(screen, camera, this.root.dataset.ticker, function (fps) { self.slowPicture(fps); });
  };

  // -- the stage in what goes out ----------------------------------------------------------------------
  // Who is on the real-time stage (stage_host.js, each time its tiles change): the composition starts or ends
  // with the first or the last of them, and the recording starts afresh with the new tracks then (a
  // MediaRecorder keeps the tracks it began with); in between only the tiles and the mix follow.
  Broadcast.prototype.setStage = function (detail) {
    var max = Number(detail.max) || 16;
    this.stagePeople = (detail.people || []).slice(0, max);
    if (this.output() && this.recorder && this.live) { this.restartRecorder(); }
  };

  // Build what goes out from the picture and the stage; true when its tracks changed.
  Broadcast.prototype.output = function () {
    var p = this.picture;
    if (!p) { return false; }
    var people = this.stagePeople, video = p.video, audio = p.user.getAudioTracks();
    if (people.length) {
      if (!this.stageCompositor) {
        // the screen with the camera is drawn already: its canvas takes the tiles too
        this.stageCompositor = p.source === "both" ? this.compositor
          : this.newCompositor(p.screen, p.source === "screen" ? null : p.user);
      }
      this.stageCompositor.setTiles(people);
      video = this.stageCompositor.track;
      if (!this.mixer) { this.mixer = Mixer.create(); }
      if (this.mixer) {
        var voices = audio.slice();
        // a muted person's sound stays out of the mix, whatever their page sends
        people.forEach(function (person) {
          if (person.stream && !person.muted) { voices = voices.concat(person.stream.getAudioTracks()); }
        });
        this.root.dataset.mixSources = String(this.mixer.sync(voices));
        audio = [this.mixer.track];
      }
    } else {
      this.endStage();
    }
    this.root.dataset.outgoingAudio = people.length && this.mixer ? "mix" : "microphone";
    this.preview.dataset.composedTiles = String(people.length);
    this.composedNote(people.length);
    var now = this.stream;
    if (now && now.getVideoTracks()[0] === video && now.getAudioTracks()[0] === audio[0]) { return false; }
    this.stream = new MediaStream([video].concat(audio));
    this.preview.srcObject = new MediaStream([video]);
    this.preview.play().catch(function () {});
    return true;
  };

  Broadcast.prototype.endStage = function () {
    if (this.stageCompositor) {
      if (this.stageCompositor === this.compositor) { this.stageCompositor.setTiles([]); } else { this.stageCompositor.stop(); }
      this.stageCompositor = null;
    }
    if (this.mixer) { this.mixer.close(); this.mixer = null; }
    delete this.root.dataset.mixSources;
    var slow = this.root.querySelector("[data-broadcast-slow][data-for-stage]");
    if (slow) { slow.remove(); } // said of the stage's drawing, which is over

  };

  // Under the preview while students are on stage: what the class's usual video and the recording show.
  Broadcast.prototype.composedNote = function (count) {
    var note = this.root.querySelector("[data-broadcast-composed]");
    if (!note && !count) { return; }
    if (!note) {
      note = document.createElement("p");
      note.className = "hint";
      note.setAttribute("data-broadcast-composed", "");
      this.preview.parentNode.insertAdjacentElement("afterend", note);
    }
    note.hidden = !count;
    note.textContent = count ? ngettext(
      "The recording and the video of students who cannot watch in real time show you with %(num)d student on stage.",
      "The recording and the video of students who cannot watch in real time show you with %(num)d students on stage.",
      count) : "";
  };

  // The teacher's microphone and the sound of everyone on stage, mixed into one track (WebAudio): a source per
  // track, removed when its person leaves.
  function Mixer(Context) {
    this.context = new Context();
    this.destination = this.context.createMediaStreamDestination();
    this.track = this.destination.stream.getAudioTracks()[0];
    this.sources = {}; // track id -> MediaStreamAudioSourceNode
    if (this.context.resume) { this.context.resume().catch(function () {}); }
  }
  Mixer.create = function () {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    try { return new Mixer(Context); } catch (e) { return null; }
  };
  Mixer.prototype.sync = function (tracks) {
    var self = this, keep = {};
    tracks.forEach(function (track) {
      if (track.readyState === "ended") { return; }
      keep[track.id] = true;
      if (self.sources[track.id]) { return; }
      var node = self.context.createMediaStreamSource(new MediaStream([track]));
      node.connect(self.destination);
      self.sources[track.id] = node;
    });
    Object.keys(this.sources).forEach(function (id) {
      if (!keep[id]) { self.sources[id].disconnect(); delete self.sources[id]; }
    });
    return Object.keys(this.sources).length;
  };
  Mixer.prototype.close = function () {
    var self = this;
    Object.keys(this.sources).forEach(function (id) { self.sources[id].disconnect(); });
    this.sources = {};
    this.track.stop();
    this.context.close().catch(function () {});
  };

  // The screen with the camera costs this computer too much to draw smoothly: say so once, under the status.
  Broadcast.prototype.slowPicture = function (fps) {
    var note = this.root.querySelector("[data-broadcast-slow]");
    if (!note) {
      note = document.createElement("p");
      note.className = "hint";
      note.setAttribute("data-broadcast-slow", "");
      note.setAttribute("role", "status");
      (this.statusLine || this.root).insertAdjacentElement(this.statusLine ? "afterend" : "beforeend", note);
    }
    note.toggleAttribute("data-for-stage", this.stagePeople.length > 0);
    note.textContent = this.stagePeople.length
      ? gettext("This computer is slow to draw the students on stage beside you, so the recording goes out at %(fps)d frames a second. For a smoother picture close other programs.", { fps: fps })
      : gettext("This computer is slow to draw the screen with the camera, so the video goes out at %(fps)d frames a second. For a smoother picture choose the screen or the camera alone, or close other programs.", { fps: fps });
  };

  // -- the connection --------------------------------------------------------------------------
  Broadcast.prototype.connect = function () {
    var self = this;
    var transports = (this.root.dataset.socketTransports || "").split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    this.socket = window.io(NS, transports.length ? { transports: transports } : {});
    this.socket.on("disconnect", function () {
      if (!self.live) { return; }
      self.say(gettext("Connection lost. Reconnecting… The lesson waits for you."));
      self.stopRecorder();
      self.queue = [];
    });
    this.socket.on("connect", function () {
      if (self.live) { self.begin(true); } // back after a drop: go on with a new recording
    });
  };

  Broadcast.prototype.ids = function () { return { circle_id: this.circleId, lesson_id: this.lessonId }; };

  Broadcast.prototype.start = function () {
    if (!this.stream) { return; }
    this.goLive.disabled = true;
    this.say(gettext("Going live…"));
    this.begin(false);
  };

  Broadcast.prototype.begin = function (resuming) {
    var self = this;
    var data = this.ids();
    data.mime = this.mime;
    this.socket.emit("start", data, function (reply) {
      if (!reply || !reply.ok) {
        self.live = false;
        self.goLive.disabled = false;
        self.fail(reply && reply.error ? reply.error : gettext("Something went wrong. Try again."));
        self.say("");
        return;
      }
      self.fail("");
      self.live = true;
      self.root.dataset.state = "live";
      self.wentLiveAt = self.wentLiveAt || Date.now();
      self.tick();
      self.onAir.hidden = false;
      self.stopButton.hidden = false;
      self.goLive.hidden = true;
      self.say(resuming ? gettext("Reconnected. You are live again.") : gettext("You are live."));
      announce("broadcasting", { live: true });
      self.restartRecorder();
    });
  };

  Broadcast.prototype.restartRecorder = function () {
    var self = this;
    this.stopRecorder();
    this.queue = [];
    var options = { mimeType: this.mime, videoBitsPerSecond: 2500000, audioBitsPerSecond: 96000 };
    options.videoKeyFrameIntervalDuration = KEYFRAME_MS; // Chromium: a keyframe each second (one per segment)
    var recorder;
    try {
      recorder = new MediaRecorder(this.stream, options);
    } catch (e) {
      this.fail(gettext("Recording could not start in this browser. Try Chrome or Edge, or OBS."));
      return;
    }
    this.recorder = recorder;
    recorder.addEventListener("dataavailable", function (event) {
      if (self.recorder !== recorder || !event.data || !event.data.size) { return; }
      if (self.queue.length >= MAX_QUEUE) {
        self.say(gettext("Your connection is too slow for this video. Starting afresh…"));
        self.restartRecorder();
        return;
      }
      self.queue.push(event.data);
      self.pump();
    });
    recorder.start(TIMESLICE_MS);
  };

  Broadcast.prototype.stopRecorder = function () {
    var recorder = this.recorder;
    this.recorder = null;
    if (recorder && recorder.state !== "inactive") {
      try { recorder.stop(); } catch (e) { /* already stopped */ }
    }
  };

  // Send the queued pieces one by one, each after the server's answer (order matters).
  Broadcast.prototype.pump = function () {
    var self = this;
    if (this.sending || !this.queue.length || !this.socket.connected) { return; }
    this.sending = true;
    var blob = this.queue.shift();
    blob.arrayBuffer().then(function (buffer) {
      self.socket.timeout(20000).emit("piece", { lesson_id: self.lessonId, data: buffer }, function (err, reply) {
        self.sending = false;
        if (err) { self.pump(); return; } // the answer never came: the connection is being re-made
        if (reply && reply.ok) {
          self.sent += 1;
          self.root.dataset.sent = String(self.sent);
        } else if (reply && reply.ended) {
          self.finished(reply.error || gettext("The lesson has ended."));
          return;
        } else if (reply && reply.restart) {
          if (reply.error) { self.say(reply.error); }
          self.restartRecorder();
          return;
        } else if (reply && reply.error) {
          self.fail(reply.error);
          if (reply.code === "taken") { self.live = false; self.stopRecorder(); self.goLive.hidden = false; self.goLive.disabled = false; }
          return;
        }
        self.pump();
      });
    }, function () { self.sending = false; });
  };

  Broadcast.prototype.stop = function (end) {
    var self = this;
    this.stopButton.disabled = true;
    this.say(gettext("Ending the lesson…"));
    var recorder = this.recorder;
    var done = function () {
      var data = self.ids();
      data.end = Boolean(end);
      var wait = setInterval(function () {
        if (self.sending || self.queue.length) { self.pump(); return; }
        clearInterval(wait);
        self.socket.emit("stop", data, function (reply) {
          if (reply && reply.ok) {
            self.finished(gettext("The lesson has ended for everyone. The replay is being prepared."));
          } else {
            self.stopButton.disabled = false;
            self.fail(reply && reply.error ? reply.error : gettext("Something went wrong. Try again."));
          }
        });
      }, 100);
    };
    if (recorder && recorder.state !== "inactive") {
      recorder.addEventListener("stop", function () { setTimeout(done, 0); }, { once: true });
      recorder.stop(); // its last piece arrives before "stop"
    } else {
      done();
    }
  };

  Broadcast.prototype.finished = function (message) {
    this.live = false;
    announce("broadcasting", { live: false });
    this.stopRecorder();
    this.queue = [];
    this.releaseInputs();
    this.root.dataset.state = "ended";
    this.onAir.hidden = true;
    this.stopButton.hidden = true;
    this.goLive.hidden = true;
    this.say(message);
    var link = document.createElement("a");
    link.href = this.root.dataset.lessonUrl;
    link.textContent = gettext("Back to the lesson");
    this.statusLine.appendChild(document.createTextNode(" "));
    this.statusLine.appendChild(link);
  };

  // -- upload speed ------------------------------------------------------------------------------
  // Sends 512 KB over the same connection the video takes and times the answer: what MediaRecorder's
  // 2.5 Mbit/s needs, with room to spare.
  Broadcast.prototype.speedTest = function () {
    var self = this;
    var result = this.root.querySelector("[data-speed-result]");
    result.textContent = gettext("Measuring…");
    var payload = new Uint8Array(512 * 1024); // under Socket.IO's 1 MB message limit
    for (var i = 0; i < payload.length; i += 4096) { payload[i] = i & 255; }
    var started = performance.now();
    var data = this.ids();
    data.data = payload.buffer;
    this.socket.timeout(60000).emit("speed_test", data, function (err, reply) {
      if (err || !reply || !reply.ok) {
        result.textContent = gettext("The check did not finish. Your connection may be too slow or offline.");
        return;
      }
      var seconds = Math.max(0.001, (performance.now() - started) / 1000);
      var mbits = reply.bytes * 8 / seconds / 1e6;
      var shown = Math.round(mbits * 10) / 10;
      result.textContent = mbits >= 4
        ? gettext("%(speed)s Mbit/s: enough for the broadcast.", { speed: shown })
        : gettext("%(speed)s Mbit/s: too slow for a smooth broadcast (4 needed). Close other uploads or move closer to the Wi-Fi.", { speed: shown });
    });
  };

  // What the host's stage (static/js/live/stage_host.js) listens to: "live:inputs", "live:broadcasting".
  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent("live:" + name, { detail: detail || {} }));
  }

  // The composed view's parts, for whoever draws a stage the same way (and the layout and tile tests).
  Circles.composed = { stageLayout: stageLayout, Compositor: Compositor };

  function init() {
    var root = document.querySelector("[data-broadcast]");
    if (!root || root.broadcast || !root.querySelector("[data-controls]") || typeof window.io !== "function") { return; }
    root.broadcast = new Broadcast(root);
    root.broadcast.init();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
