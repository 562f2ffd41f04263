// The lesson's video (templates/live/_player.html), one per [data-live-player].
//
// On air: plays the live HLS of /c/<circle>/live/<lesson>/hls/index.m3u8 with the vendored hls.js where the
// browser has Media Source Extensions (tuned to sit 1.5 s behind the live edge), natively elsewhere
// (Safari on iPhones). It starts muted (browsers let only a muted video play by itself) with a button to turn
// the sound on, retries while the playlist is not there yet or the teacher is reconnecting, and follows the
// lesson's state from the room's connection (document events "live:stream_state" and "live:replay_state",
// dispatched by static/js/live/room.js); without them it still finds the stream by asking every few seconds.
// `root.dataset.source` says what plays ("hls.js", "native-hls"), `root.dataset.playing` is set once frames play.
//
// A real-time lesson (static/js/live/stage_view.js): while its WebRTC video plays, this player is held (no HLS
// loaded, its video hidden) and `root.dataset.held` is set; document event "live:rtc" {state: "playing"} holds it,
// {state: "fallback"} lets it play HLS again. A player marked data-realtime starts held and plays HLS only when
// told to fall back, or when it heard nothing of WebRTC within HOLD_MS.
//
// Ended, with a replay: the chat and questions beside the replay scroll in step with the video (each message
// has data-at, seconds from the start), and the ranges a member watched are sent to the server every 15 s
// and when the page is left (ReplayView).
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.livePlayer) { return; }
  var gettext = Circles.i18n ? Circles.i18n.gettext : function (s) { return s; };
  var RETRY_MS = 3000;
  var POLL_MS = 30000; // the fallback poll, from the start time on only (the room's push starts the video)
  var REPORT_MS = 15000;
  var HOLD_MS = 10000; // a real-time lesson's player waits this long for WebRTC before playing HLS by itself

  var hlsLoading = null;
  function loadHls(src) {
    if (window.Hls) { return Promise.resolve(window.Hls); }
    if (!hlsLoading) {
      hlsLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = src;
        tag.addEventListener("load", function () { resolve(window.Hls); });
        tag.addEventListener("error", function () { hlsLoading = null; reject(new Error("hls.js")); });
        document.head.appendChild(tag);
      });
    }
    return hlsLoading;
  }

  function hasMediaSource() {
    return Boolean(window.ManagedMediaSource || window.MediaSource || window.WebKitMediaSource);
  }

  function LivePlayer(root) {
    this.root = root;
    this.video = root.querySelector("[data-live-video]");
    this.status = root.querySelector("[data-live-status]");
    this.badge = root.querySelector("[data-live-badge]");
    this.unmute = root.querySelector("[data-live-unmute]");
    this.url = root.dataset.hlsUrl;
    this.state = root.dataset.state;
    this.engine = null;
    this.started = false;
    this.retryTimer = null;
    this.pollTimer = null;
    this.held = root.dataset.realtime === "1";
    this.holdTimer = null;
  }

  LivePlayer.prototype.say = function (text) {
    if (this.status) { this.status.textContent = text; this.status.hidden = !text; }
  };

  LivePlayer.prototype.init = function () {
    var self = this;
    if (!this.video) {
      // An ended lesson whose replay is still being made: offer it as soon as it is ready.
      if (this.state === "ended" && this.root.dataset.replayState === "processing") { this.offerReplay(); }
      return;
    }
    this.video.addEventListener("playing", function () {
      self.root.dataset.playing = "1";
      if (self.state === "live") { self.say(""); }
      if (self.unmute) { self.unmute.hidden = !self.video.muted; }
    });
    if (this.unmute) {
      this.unmute.addEventListener("click", function () {
        self.video.muted = false;
        self.video.play().catch(function () {});
        self.unmute.hidden = true;
      });
    }
    document.addEventListener("live:stream_state", function (event) { self.onState(event.detail || {}); });
    document.addEventListener("live:rtc", function (event) { self.onRtc(event.detail || {}); });
    if (this.held) {
      this.root.dataset.held = "1";
      this.holdTimer = setTimeout(function () { self.release(); }, HOLD_MS);
    }
    document.addEventListener("live:removed", function () { self.removedFromLesson(); });
    document.addEventListener("live:readmitted", function () {
      if (!self.removed) { return; }
      self.removed = false;
      self.started = false;
      if (self.state === "live" || self.state === "reconnecting") { self.start(); }
    });
    if (this.state === "live" || this.state === "reconnecting") {
      this.start();
    } else if (this.state === "scheduled") {
      this.pollFromStart();
    }
  };

  // A host removed this person: stop (the playlist answers 404 now) and say why, until readmitted.
  LivePlayer.prototype.removedFromLesson = function () {
    this.removed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.waitTimer);
    if (this.pollTimer) { clearInterval(this.pollTimer); this.pollTimer = null; }
    if (this.engine) { this.engine.destroy(); this.engine = null; }
    if (this.video) { this.video.pause(); this.video.removeAttribute("src"); this.video.load(); this.video.hidden = true; }
    if (this.unmute) { this.unmute.hidden = true; }
    this.started = true;
    delete this.root.dataset.playing;
    this.say(gettext("You were removed from this lesson."));
  };

  // Before the start time nothing is asked (the room's stream_state push starts the video); from the start
  // time on, a slow poll finds the stream should that push be missed.
  LivePlayer.prototype.pollFromStart = function () {
    var self = this;
    var at = Date.parse(this.root.dataset.startsAt || "");
    var wait = isNaN(at) ? 0 : at - Date.now();
    if (wait > 0) {
      // timers cannot wait longer than about 24 days; a page open that long checks again then
      this.waitTimer = setTimeout(function () { self.pollFromStart(); }, Math.min(wait, 2147483000));
      return;
    }
    this.pollForStream();
  };

  LivePlayer.prototype.onState = function (data) {
    if (!data.state || (data.lesson_id && String(data.lesson_id) !== this.root.dataset.lessonId)) { return; }
    var text = Circles.liveStateText ? Circles.liveStateText(data) : "";
    this.state = data.state;
    if (this.removed) { return; }
    this.root.dataset.state = data.state;
    if (this.badge) { this.badge.hidden = data.state !== "live"; }
    if (data.state === "live") {
      if (this.held) { return; } // WebRTC plays it (stage_view.js)
      this.video.hidden = false;
      // never "reconnecting" left under a page that says the teacher is back: playing says nothing, else connecting
      var moving = this.root.dataset.playing && !this.video.paused && this.video.readyState > 2;
      this.say(moving ? "" : gettext("Connecting to the live video…"));
      if (data.reason === "resumed") { this.toLiveEdgeSoon(); }
      this.start();
    } else if (data.state === "reconnecting") {
      this.say(text || gettext("The teacher's connection dropped. Reconnecting…"));
    } else if (data.state === "ended" || data.state === "cancelled") {
      this.stop();
      // the lesson page's state line already says it (countdown.js): one end message, not one per part
      var said = document.querySelector("[data-live-state-line]");
      this.say(said ? "" : data.state === "cancelled" ? gettext("This lesson was cancelled.") : (text || gettext("The lesson has ended.")));
      this.offerReplay();
    }
  };

  // Before the lesson goes live: ask every few seconds whether its playlist exists (a member whose room
  // connection missed the push still sees the lesson start).
  LivePlayer.prototype.pollForStream = function () {
    var self = this;
    if (this.pollTimer) { return; }
    this.pollTimer = setInterval(function () {
      if (self.started) { clearInterval(self.pollTimer); self.pollTimer = null; return; }
      fetch(self.url, { method: "HEAD", credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.ok && !self.started) {
          self.onState({ state: "live" });
        }
      }).catch(function () {});
    }, POLL_MS);
  };

  // WebRTC plays the lesson (hold: no HLS meanwhile) or failed (fall back: play HLS).
  LivePlayer.prototype.onRtc = function (d) {
    if (d.lesson_id && String(d.lesson_id) !== this.root.dataset.lessonId) { return; }
    clearTimeout(this.holdTimer);
    if (d.state === "playing") { this.hold(); } else if (d.state === "fallback") { this.release(); }
  };

  LivePlayer.prototype.hold = function () {
    if (this.removed || this.state === "ended" || this.state === "cancelled") { return; }
    this.held = true;
    this.root.dataset.held = "1";
    clearTimeout(this.retryTimer);
    if (this.engine) { this.engine.destroy(); this.engine = null; }
    if (this.video) { this.video.pause(); this.video.removeAttribute("src"); this.video.load(); this.video.hidden = true; }
    if (this.unmute) { this.unmute.hidden = true; }
    delete this.root.dataset.playing;
    delete this.root.dataset.source;
    this.started = false;
    this.say("");
  };

  LivePlayer.prototype.release = function () {
    clearTimeout(this.holdTimer);
    if (!this.held) { return; }
    this.held = false;
    delete this.root.dataset.held;
    if (!this.removed && (this.state === "live" || this.state === "reconnecting")) {
      this.say(gettext("Connecting to the live video…"));
      this.start();
    }
  };

  LivePlayer.prototype.start = function () {
    var self = this;
    if (this.started || this.held) { return; }
    this.started = true;
    this.video.hidden = false;
    clearTimeout(this.waitTimer);
    if (this.pollTimer) { clearInterval(this.pollTimer); this.pollTimer = null; }
    var nativeHls = Boolean(this.video.canPlayType("application/vnd.apple.mpegurl"));
    if (!hasMediaSource()) {
      if (nativeHls) { this.useNative(); } else { this.say(gettext("This browser cannot play the live video.")); }
      return;
    }
    loadHls(this.root.dataset.hlsJs).then(function (Hls) {
      if (Hls && Hls.isSupported()) { self.useHlsJs(Hls); } else if (nativeHls) { self.useNative(); }
    }, function () { if (nativeHls) { self.useNative(); } });
  };

  LivePlayer.prototype.play = function () {
    var self = this;
    this.video.play().catch(function () {
      // Autoplay refused even muted: the viewer presses play.
      self.say(gettext("Press play to watch the live lesson."));
    });
  };

  LivePlayer.prototype.useHlsJs = function (Hls) {
    var self = this;
    this.root.dataset.source = "hls.js";
    var engine = this.engine = new Hls({
      workerPath: this.root.dataset.hlsWorker, // CSP: no blob: workers
      // 1.5 s behind the end of the newest one-second segment: about the least that plays without stalls
      // (scripts/bench/live measures the delay this gives); drifted 6 s behind (a stall): jump forward.
      liveSyncDuration: 1.5,
      liveMaxLatencyDuration: 6,
      maxLiveSyncPlaybackRate: 1.1, // or catch up by playing a little faster
      backBufferLength: 30,
      manifestLoadingMaxRetry: 2,
      levelLoadingMaxRetry: 4
    });
    engine.on(Hls.Events.MANIFEST_PARSED, function () { self.play(); });
    engine.on(Hls.Events.ERROR, function (event, data) {
      if (!data.fatal || self.engine !== engine) { return; }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) { engine.recoverMediaError(); return; }
      // The playlist is not there yet (just went live) or the stream paused: start again shortly.
      engine.destroy();
      self.engine = null;
      self.started = false;
      if (self.state === "live" || self.state === "reconnecting") {
        clearTimeout(self.retryTimer);
        self.retryTimer = setTimeout(function () { self.start(); }, RETRY_MS);
      }
    });
    engine.loadSource(this.url);
    engine.attachMedia(this.video);
    this.watchStalls();
  };

  // How far (s) behind hls.js's live sync point the player may fall before it jumps there rather than stall on.
  var BEHIND_S = 3;

  // After the teacher's stream resumes (a new recording; the old one's end played out meanwhile), or after a
  // stall: go to the live edge once the new segments are listed, instead of crawling behind it with no buffer.
  LivePlayer.prototype.toLiveEdge = function () {
    var engine = this.engine, video = this.video;
    if (!engine || !video || this.held) { return false; }
    var edge = engine.liveSyncPosition;
    if (typeof edge !== "number" || !isFinite(edge) || edge - video.currentTime < BEHIND_S) { return false; }
    video.currentTime = edge;
    this.root.dataset.liveJumps = String(Number(this.root.dataset.liveJumps || 0) + 1);
    if (video.paused) { this.play(); }
    return true;
  };

  LivePlayer.prototype.toLiveEdgeSoon = function () {
    var self = this, tries = 0;
    clearInterval(this.edgeTimer);
    this.edgeTimer = setInterval(function () {
      tries += 1;
      if (self.toLiveEdge() || tries >= 20 || self.state !== "live") { clearInterval(self.edgeTimer); }
    }, 500);
  };

  // A stall while live that lasts: the buffer ran dry behind the live edge (the teacher's network, a slow
  // encode). Jump forward when the edge has moved on; otherwise keep waiting.
  LivePlayer.prototype.watchStalls = function () {
    var self = this;
    if (this.watchingStalls) { return; }
    this.watchingStalls = true;
    this.video.addEventListener("waiting", function () {
      clearTimeout(self.stallTimer);
      self.stallTimer = setTimeout(function () {
        if (self.state === "live" && self.video.readyState < 3) { self.toLiveEdge(); }
      }, 2000);
    });
    this.video.addEventListener("playing", function () { clearTimeout(self.stallTimer); });
  };

  LivePlayer.prototype.useNative = function () {
    var self = this;
    this.root.dataset.source = "native-hls";
    this.video.addEventListener("error", function () {
      if (self.state !== "live" && self.state !== "reconnecting") { return; }
      clearTimeout(self.retryTimer);
      self.retryTimer = setTimeout(function () { self.video.src = self.url; self.play(); }, RETRY_MS);
    });
    this.video.src = this.url;
    this.play();
  };

  LivePlayer.prototype.stop = function () {
    clearTimeout(this.retryTimer);
    clearTimeout(this.waitTimer);
    if (this.pollTimer) { clearInterval(this.pollTimer); this.pollTimer = null; }
    if (this.engine) { this.engine.destroy(); this.engine = null; }
    if (this.video) { this.video.pause(); this.video.removeAttribute("src"); this.video.load(); this.video.hidden = true; }
    // nothing plays any more: no sound to turn on, no live edge to go back to
    if (this.unmute) { this.unmute.hidden = true; }
    var edge = this.root.querySelector("[data-live-edge]");
    if (edge) { edge.hidden = true; }
    this.started = true; // never again on this page
  };

  // The lesson ended while the page was open: when its replay is ready, offer to show it.
  LivePlayer.prototype.offerReplay = function () {
    var self = this;
    document.addEventListener("live:replay_state", function (event) {
      var d = event.detail || {};
      if ((d.lesson_id && String(d.lesson_id) !== self.root.dataset.lessonId) || d.state !== "ready" ||
          self.root.querySelector("[data-live-replay-link]")) { return; }
      self.say(gettext("The replay is ready."));
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.className = "button";
      link.setAttribute("data-live-replay-link", "");
      link.textContent = gettext("Watch the replay");
      self.root.appendChild(link);
    });
  };

  // -- the replay ---------------------------------------------------------------------------------
  function Replay(root, scope) {
    this.root = root;
    this.scope = scope;
    this.list = scope.querySelector("[data-replay-messages]");
    this.items = this.list ? Array.prototype.slice.call(this.list.querySelectorAll("li[data-at]")) : [];
    this.url = root.dataset.progressUrl;
    this.ranges = [];
    this.current = null;
    this.last = null;
  }

  Replay.prototype.init = function () {
    var self = this;
    this.scope.addEventListener("player:timeupdate", function (event) { self.onTime(event.detail.time); });
    this.scope.addEventListener("pause", function () { self.current = null; }, true);
    this.scope.addEventListener("seeking", function () { self.current = null; }, true);
    setInterval(function () { self.report(false); }, REPORT_MS);
    window.addEventListener("pagehide", function () { self.report(true); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { self.report(true); }
    });
    this.onTime(0);
  };

  // Messages up to `time` are shown, later ones dimmed; the newest shown one scrolls into view.
  Replay.prototype.onTime = function (time) {
    var shown = null;
    this.items.forEach(function (item) {
      var past = Number(item.dataset.at) <= time + 0.25;
      item.classList.toggle("future", !past);
      if (past) { shown = item; }
    });
    if (shown && shown !== this.shown && this.list) {
      this.shown = shown;
      this.list.scrollTop = Math.max(0, shown.offsetTop - this.list.offsetTop - this.list.clientHeight + shown.offsetHeight);
    }
    // Watched ranges: a continuous stretch grows while time advances in small steps.
    if (time > 0 && this.last !== null && time > this.last && time - this.last < 2.5) {
      if (!this.current) { this.current = [this.last, time]; this.ranges.push(this.current); }
      this.current[1] = time;
    } else {
      this.current = null;
    }
    this.last = time;
  };

  Replay.prototype.report = function (leaving) {
    if (!this.url || !this.ranges.length) { return; }
    var ranges = this.ranges.map(function (r) { return [r[0], r[1]]; });
    // A stretch still growing goes on from where this report ends.
    this.current = this.current ? [this.current[1], this.current[1]] : null;
    this.ranges = this.current ? [this.current] : [];
    var meta = document.querySelector('meta[name="csrf-token"]');
    fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": meta ? meta.content : "" },
      body: JSON.stringify({ ranges: ranges })
    }).catch(function () {});
  };

  function init() {
    document.querySelectorAll("[data-live-player]").forEach(function (root) {
      if (root.livePlayer) { return; }
      root.livePlayer = new LivePlayer(root);
      root.livePlayer.init();
      var scope = root.querySelector("[data-live-replay]");
      if (scope && root.dataset.progressUrl) { new Replay(root, scope).init(); }
    });
  }

  Circles.livePlayer = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
