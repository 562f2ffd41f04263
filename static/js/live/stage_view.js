// A member's real-time lesson (templates/live/_stage.html, beside the HLS player of _player.html).
//
// When the room's stage state (room.js announces it as "live:stage") says the lesson is real-time, the page asks
// the server for a subscriber token, opens a Janus session and subscribes to the teachers' feeds (camera, screen)
// and to the students on stage. Once the teacher's video plays over WebRTC it tells the HLS player to hold
// ("live:rtc" {state: "playing"}); if WebRTC does not play within FALLBACK_MS (UDP blocked, no ICE, Janus
// unreachable), or the server says HLS, it gives the lesson back to the HLS player ("live:rtc" {state:
// "fallback"}) and stays out of the way. `root.dataset.source` is "webrtc" while WebRTC plays, "hls" after
// falling back.
//
// On stage: an invitation ("live:stage_you" {state: "invited"}) opens a dialog with a device check (camera
// preview, microphone level, device choice); accepting publishes the camera and microphone with the publisher
// token the server's `stage_accept` answer carries. The person leaves by themselves or is taken down
// ({state: "off"}); a host may mute them ({muted: true}), and only a host unmutes.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var S = Circles.stage;
  if (!S || !Circles.stageClient) { return; }
  var i18n = Circles.i18n || { gettext: function (s) { return s; } };
  var gettext = i18n.gettext;
  var FALLBACK_MS = 6000; // from the teacher's feed being there to its frames playing; else HLS
  var NO_FEED_MS = 15000; // the lesson is live but no teacher's feed reached this page over WebRTC: HLS
  var TOLD_MS = 20000; // how long the line about this person's place on stage stays
  var ICE_GRACE_MS = 4000; // a connection "disconnected" this long counts as failed

  function View(root) {
    this.root = root;
    this.lessonId = root.getAttribute("data-lesson-id");
    this.userId = Number(root.getAttribute("data-user-id"));
    this.tokenUrl = root.getAttribute("data-token-url");
    this.main = root.querySelector("[data-rtc-main]");
    this.corner = root.querySelector("[data-rtc-corner]");
    this.box = root.querySelector("[data-rtc-box]");
    this.status = root.querySelector("[data-rtc-status]");
    this.note = root.querySelector("[data-rtc-note]");
    this.unmute = root.querySelector("[data-rtc-unmute]");
    this.tiles = root.querySelector("[data-stage-tiles]");
    this.tilesBox = root.querySelector("[data-stage-tiles-box]");
    this.meBar = root.querySelector("[data-stage-me]");
    this.dialog = document.querySelector("[data-stage-invite]");
    this.check = this.dialog ? new S.DeviceCheck(this.dialog) : null;
    this.lessonState = root.getAttribute("data-state");
    this.stage = null;
    this.session = null;
    this.watcher = null;
    this.connecting = false;
    this.fallen = false;
    this.playing = false;
    this.soundOn = false;
    this.hostStreams = {};
    this.feedStreams = {};
    this.me = null; // while on stage: {session, publisher, stream}
    this.myState = "off";
    this.myMuted = false;
  }

  View.prototype.say = function (text) {
    this.status.textContent = text || "";
    this.status.hidden = !text;
  };

  View.prototype.init = function () {
    var self = this;
    document.addEventListener("live:stage", function (e) { self.onStage(e.detail || {}); });
    document.addEventListener("live:stage_you", function (e) { self.onMine(e.detail || {}); });
    document.addEventListener("live:stream_state", function (e) {
      var d = e.detail || {};
      if (d.lesson_id && String(d.lesson_id) !== self.lessonId) { return; }
      if (!d.state) { return; }
      self.lessonState = d.state;
      if (d.state === "ended" || d.state === "cancelled") {
        self.teardown();
        self.stopPublishing("ended");
        self.tell(""); // what the stage last said belongs to the lesson that ended
        return;
      }
      self.sync();
    });
    document.addEventListener("live:removed", function () { self.teardown(); self.stopPublishing("ended"); });
    this.main.addEventListener("playing", function () { self.onPlaying(); });
    this.unmute.addEventListener("click", function () { self.sound(true); });
    this.meBar.querySelector("[data-stage-leave]").addEventListener("click", function () { self.leave(); });
    this.meBar.querySelector("[data-stage-mic]").addEventListener("click", function () { self.toggleMic(); });
    if (this.dialog) { this.bindDialog(); }
    setInterval(function () { self.tick(); }, 1000);
  };

  // -- watching ----------------------------------------------------------------------------------
  View.prototype.onStage = function (d) {
    this.stage = d;
    this.root.setAttribute("data-mode", d.mode || "hls");
    this.sync();
  };

  View.prototype.live = function () { return this.lessonState === "live" || this.lessonState === "reconnecting"; };

  View.prototype.sync = function () {
    var d = this.stage;
    if (!d) { return; }
    if (!d.realtime) { this.useHls(); return; }
    if (this.fallen) { return; }
    if (!this.session && !this.connecting) { this.connect(); }
    this.renderTiles();
    if (this.watcher) { this.watcher.want(this.wantedFeeds()); }
    this.arm();
  };

  View.prototype.wantedFeeds = function () {
    var self = this, ids = [];
    (this.stage.hosts || []).forEach(function (h) {
      if (h.user.id === self.userId) { return; }
      ids.push(h.feeds.camera, h.feeds.screen);
    });
    (this.stage.on_stage || []).forEach(function (s) {
      if (s.user.id !== self.userId) { ids.push(s.feeds.camera); }
    });
    return ids.filter(Boolean);
  };

  // The deadlines of the fallback: armed while the lesson is live and nothing plays yet.
  View.prototype.arm = function () {
    var self = this;
    if (this.playing || this.fallen || !this.live()) { return; }
    if (!this.noFeedTimer) {
      this.noFeedTimer = setTimeout(function () { if (!self.playing) { self.fallback("no_feed"); } }, NO_FEED_MS);
    }
    if (!this.fallbackTimer && this.hasHostFeed()) {
      clearTimeout(this.noFeedTimer); // the teacher's feed is subscribed: the frames' deadline takes over
      var extensions = 2; // connected but no frame yet (a slow first keyframe): a little more time, twice at most
      var check = function () {
        if (self.playing || self.fallen) { return; }
        var pc = self.watcher && self.watcher.peerConnection();
        var ice = pc && pc.iceConnectionState;
        if ((ice === "connected" || ice === "completed") && extensions > 0) {
          extensions -= 1;
          self.fallbackTimer = setTimeout(check, FALLBACK_MS);
          return;
        }
        self.fallback("timeout");
      };
      this.fallbackTimer = setTimeout(check, FALLBACK_MS);
    }
  };

  View.prototype.hasHostFeed = function () {
    var w = this.watcher, hosts = (this.stage && this.stage.hosts) || [];
    return !!w && hosts.some(function (h) { return w.subscribed.indexOf(h.feeds.camera) >= 0 || w.subscribed.indexOf(h.feeds.screen) >= 0; });
  };

  View.prototype.connect = function () {
    var self = this;
    var generation = this.generation = (this.generation || 0) + 1;
    this.connecting = true;
    if (!this.playing && this.live()) { this.say(gettext("Connecting to the real-time video…")); }
    S.fetchToken(this.tokenUrl, "subscriber").then(function (answer) {
      if (!answer.ok) { throw Object.assign(new Error(answer.error || "token"), { code: answer.code }); }
      self.renewAt(answer.renew_after);
      return Circles.stageClient.connect(S.access(answer), function () { self.lost(); });
    }).then(function (session) {
      if (generation !== self.generation) { session.close(); return; } // torn down meanwhile
      self.connecting = false;
      if (self.fallen || !(self.stage && self.stage.realtime)) { session.close(); return; }
      self.useSession(session);
    }).catch(function (error) {
      if (generation !== self.generation) { return; }
      self.connecting = false;
      if (error && (error.code === "removed" || error.code === "over")) { return; }
      if (error && error.code === "hls") { self.useHls(); } else { self.fallback("connect"); }
    });
  };

  View.prototype.useSession = function (session) {
    var self = this;
    var old = this.session, oldWatcher = this.watcher;
    this.session = session;
    this.watcher = new S.Watcher(session, {
      onFeed: function (feed, stream) { self.onFeed(feed, stream); },
      onState: function (kind, detail) { self.onRtcState(kind, detail); },
      onChange: function () { self.arm(); }
    });
    this.watcher.want(this.wantedFeeds());
    if (oldWatcher) { oldWatcher.close(); }
    if (old) { old.close(); }
  };

  // Before the token expires: a new session first, then the old one closes (make before break).
  View.prototype.renewAt = function (iso) {
    var self = this;
    clearTimeout(this.renewTimer);
    var left = S.secondsUntil(iso);
    if (left === null) { return; }
    this.renewTimer = setTimeout(function () {
      if (self.fallen || !self.session) { return; }
      S.fetchToken(self.tokenUrl, "subscriber").then(function (answer) {
        if (!answer.ok) { return null; }
        self.renewAt(answer.renew_after);
        return Circles.stageClient.connect(S.access(answer), function () { self.lost(); });
      }).then(function (session) { if (session) { self.useSession(session); } }).catch(function () {});
    }, Math.max(1, left) * 1000);
  };

  View.prototype.lost = function () {
    if (!this.fallen && this.live()) { this.fallback("lost"); }
  };

  View.prototype.onRtcState = function (kind, detail) {
    var self = this;
    if (kind === "ice") {
      this.root.setAttribute("data-ice", detail);
      if (detail === "failed") { this.fallback("ice"); }
      if (detail === "disconnected") {
        clearTimeout(this.iceTimer);
        this.iceTimer = setTimeout(function () {
          var pc = self.watcher && self.watcher.peerConnection();
          if (pc && pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed") { self.fallback("ice"); }
        }, ICE_GRACE_MS);
      }
    } else if (kind === "down" && this.playing && this.live()) {
      this.fallback("down");
    }
    if (this.watcher) { this.arm(); }
  };

  View.prototype.onFeed = function (feed, stream) {
    var owner = Math.floor(feed / 10);
    var isHost = (this.stage.hosts || []).some(function (h) { return h.user.id === owner; });
    if (isHost) {
      if (stream) { this.hostStreams[feed] = stream; } else { delete this.hostStreams[feed]; }
      this.layoutMain();
    } else {
      if (stream) { this.feedStreams[owner] = stream; } else { delete this.feedStreams[owner]; }
      this.renderTiles();
    }
    this.arm();
  };

  // The first teacher who publishes: their screen big with their camera in the corner, or their camera.
  View.prototype.layoutMain = function () {
    var self = this, chosen = null;
    (this.stage.hosts || []).some(function (h) {
      var camera = self.hostStreams[h.feeds.camera], screen = self.hostStreams[h.feeds.screen];
      var hasVideo = function (s) { return s && s.getVideoTracks().length > 0; };
      if (hasVideo(screen)) { chosen = { main: screen, corner: camera }; return true; }
      if (camera) { chosen = { main: camera, corner: null }; return true; }
      return false;
    });
    if (!chosen) { return; }
    setSource(this.main, chosen.main);
    setSource(this.corner, chosen.corner);
    this.corner.hidden = !(chosen.corner && chosen.corner.getVideoTracks().length);
    this.sound(this.soundOn);
  };

  function setSource(video, stream) {
    if (video.srcObject !== stream) {
      video.srcObject = stream || null;
      if (stream) { video.play().catch(function () {}); }
    }
  }

  View.prototype.onPlaying = function () {
    if (this.fallen || this.playing) { return; }
    this.playing = true;
    clearTimeout(this.fallbackTimer);
    clearTimeout(this.noFeedTimer);
    this.box.hidden = false;
    this.root.dataset.source = "webrtc";
    this.root.dataset.playing = "1";
    this.say("");
    this.unmute.hidden = this.soundOn;
    S.announce("rtc", { lesson_id: Number(this.lessonId), state: "playing" });
  };

  // The lesson plays over HLS (its mode, or the server says so): the player plays it; a later switch to real
  // time (a new stage state) tries WebRTC again.
  View.prototype.useHls = function () {
    if (this.session || this.connecting || this.playing) { this.teardown(); }
    this.root.dataset.source = "hls";
    delete this.root.dataset.playing;
    this.tilesBox.hidden = true;
    if (this.me) { this.stopPublishing("mode"); }
    S.announce("rtc", { lesson_id: Number(this.lessonId), state: "fallback", reason: "hls" });
  };

  // WebRTC did not work here: the HLS player takes the lesson (a few seconds behind) for the rest of the page's life.
  View.prototype.fallback = function (reason) {
    if (this.fallen) { return; }
    this.fallen = true;
    this.root.dataset.source = "hls";
    this.root.dataset.fallback = reason;
    delete this.root.dataset.playing;
    this.teardown();
    this.note.textContent = gettext("Real-time video could not connect on this network, so the lesson plays a few seconds behind.");
    this.note.hidden = false;
    S.announce("rtc", { lesson_id: Number(this.lessonId), state: "fallback", reason: reason });
  };

  View.prototype.teardown = function () {
    clearTimeout(this.fallbackTimer);
    clearTimeout(this.noFeedTimer);
    clearTimeout(this.renewTimer);
    clearTimeout(this.iceTimer);
    this.fallbackTimer = this.noFeedTimer = null;
    if (this.watcher) { this.watcher.close(); this.watcher = null; }
    if (this.session) { this.session.close(); this.session = null; }
    this.playing = false;
    this.connecting = false;
    this.generation = (this.generation || 0) + 1;
    this.hostStreams = {};
    this.feedStreams = {};
    [this.main, this.corner].forEach(function (v) { v.pause(); v.srcObject = null; });
    this.box.hidden = true;
    this.tilesBox.hidden = true;
    this.say("");
  };

  View.prototype.sound = function (on) {
    var self = this;
    this.soundOn = on;
    [this.main, this.corner].forEach(function (v) { v.muted = !on; });
    this.tiles.querySelectorAll("video").forEach(function (v) {
      var li = v.closest("[data-tile]");
      v.muted = !on || li.getAttribute("data-tile") === String(self.userId) || li.hasAttribute("data-muted");
    });
    this.unmute.hidden = on || !this.playing;
    if (on) { this.main.play().catch(function () {}); }
  };

  // -- the people on stage ---------------------------------------------------------------------------
  View.prototype.renderTiles = function () {
    var self = this;
    var entries = (this.stage && this.stage.realtime && !this.fallen) ? (this.stage.on_stage || []) : [];
    var keep = {};
    entries.forEach(function (entry) {
      var id = String(entry.user.id);
      keep[id] = true;
      var li = self.tiles.querySelector('[data-tile="' + id + '"]');
      var mine = entry.user.id === self.userId;
      if (!li) {
        li = S.tile(entry.user, { muted: mine || !self.soundOn });
        if (mine) { li.classList.add("is-me"); }
        self.tiles.appendChild(li);
      }
      var stream = mine ? (self.me && self.me.stream) : self.feedStreams[entry.user.id];
      var video = li.querySelector("video");
      setSource(video, stream || null);
      S.updateTile(li, entry);
      if (!entry.muted) { video.muted = mine || !self.soundOn; }
    });
    this.tiles.querySelectorAll("[data-tile]").forEach(function (li) {
      if (!keep[li.getAttribute("data-tile")]) { li.remove(); }
    });
    this.tilesBox.hidden = !entries.length;
    var count = this.tilesBox.querySelector("[data-stage-count]");
    if (count) { count.textContent = entries.length ? String(entries.length) : ""; }
  };

  View.prototype.tick = function () {
    this.tiles.querySelectorAll("[data-tile]").forEach(S.tickTile);
    if (this.dialog && this.dialog.open) { this.tickInvite(); }
    var turn = this.meBar.querySelector("[data-stage-my-turn]");
    var self = this;
    var mine = ((this.stage && this.stage.on_stage) || []).filter(function (s) { return s.user.id === self.userId; })[0];
    var left = S.secondsUntil(mine && mine.turn_ends_at);
    turn.hidden = !(this.me && left !== null && left > 0);
    if (!turn.hidden) { turn.textContent = gettext("Your turn ends in %(time)s.", { time: S.clock(left) }); }
  };

  // -- my part: invited, on stage, off -------------------------------------------------------------
  View.prototype.onMine = function (d) {
    var before = this.myState;
    this.myState = d.state;
    if (d.state === "invited" && before !== "invited") {
      this.openInvite(d);
    } else if (d.state !== "invited" && this.dialog && this.dialog.open && !this.accepting) {
      // the invitation was withdrawn or expired (an "on" while accepting: the answer brings the rest)
      this.closeInvite(true);
      if (d.reason === "expired") { this.tell(gettext("The invitation has expired.")); }
    }
    if (d.state === "off" && (this.me || before === "on")) { this.stopPublishing(d.reason); }
    this.setMuted(!!d.muted);
  };

  // What happened to this person's place on stage ("The teacher took you off the stage."): said for a while,
  // then gone (it stayed for minutes, and after the lesson's end).
  View.prototype.tell = function (text) {
    var line = this.meBar.parentNode.querySelector("[data-stage-told]");
    line.textContent = text || "";
    line.hidden = !text;
    clearTimeout(this.toldTimer);
    if (text) { this.toldTimer = setTimeout(function () { line.textContent = ""; line.hidden = true; }, TOLD_MS); }
  };

  View.prototype.bindDialog = function () {
    var self = this;
    this.dialog.querySelector("[data-stage-accept]").addEventListener("click", function () { self.accept(); });
    this.dialog.querySelector("[data-stage-decline]").addEventListener("click", function () { self.decline(); });
    this.dialog.addEventListener("cancel", function (e) { e.preventDefault(); self.decline(); }); // Esc
  };

  View.prototype.openInvite = function (d) {
    var self = this;
    if (!this.dialog) { return; }
    this.inviteEndsAt = d.expires_at;
    this.turnSeconds = d.turn_seconds;
    var what = this.dialog.querySelector("[data-invite-turn]");
    what.hidden = !d.turn_seconds;
    if (d.turn_seconds) {
      what.textContent = d.turn_seconds >= 60 && d.turn_seconds % 60 === 0
        ? i18n.ngettext("It is your turn: %(num)d minute on stage.", "It is your turn: %(num)d minutes on stage.", d.turn_seconds / 60)
        : i18n.ngettext("It is your turn: %(num)d second on stage.", "It is your turn: %(num)d seconds on stage.", d.turn_seconds);
    }
    var accept = this.dialog.querySelector("[data-stage-accept]");
    accept.disabled = true;
    this.dialog.querySelector("[data-invite-error]").hidden = true;
    this.tickInvite();
    if (!this.dialog.open) { this.dialog.showModal(); }
    this.check.open().then(function (stream) {
      accept.disabled = !stream;
      if (stream) { accept.focus(); }
    });
  };

  View.prototype.tickInvite = function () {
    var left = S.secondsUntil(this.inviteEndsAt);
    var line = this.dialog.querySelector("[data-invite-expires]");
    line.hidden = left === null;
    if (left !== null) { line.textContent = gettext("Answer within %(time)s.", { time: S.clock(left) }); }
  };

  View.prototype.closeInvite = function (release) {
    if (release) { this.check.release(); }
    if (this.dialog.open) { this.dialog.close(); }
  };

  View.prototype.decline = function () {
    this.closeInvite(true);
    S.emit("stage_decline", {}, function () {});
  };

  View.prototype.accept = function () {
    var self = this;
    var button = this.dialog.querySelector("[data-stage-accept]");
    var error = this.dialog.querySelector("[data-invite-error]");
    button.disabled = true;
    this.accepting = true;
    S.emit("stage_accept", {}, function (reply) {
      self.accepting = false;
      if (!reply.ok) {
        error.textContent = reply.error || gettext("Something went wrong. Try again.");
        error.hidden = false;
        button.disabled = false;
        return;
      }
      var stream = self.check.take();
      self.closeInvite(false);
      self.goOnStage(reply.janus, stream);
    });
  };

  View.prototype.goOnStage = function (answer, stream) {
    var self = this;
    this.me = { session: null, publisher: null, stream: stream };
    this.myState = "on";
    this.meBar.hidden = false;
    this.tell("");
    this.setMuted(this.myMuted);
    this.renderTiles();
    this.meBar.querySelector("[data-stage-leave]").focus();
    var me = this.me;
    Circles.stageClient.connect(S.access(answer)).then(function (session) {
      if (self.me !== me) { session.close(); return null; }
      me.session = session;
      return session.publish({
        id: answer.feeds && answer.feeds.camera,
        display: answer.display || "",
        tracks: stream.getTracks(),
        bitrate: 800000
      });
    }).then(function (publisher) {
      if (!publisher) { return; }
      if (self.me !== me) { publisher.leave(); return; }
      me.publisher = publisher;
      self.root.setAttribute("data-publishing", "");
    }).catch(function () {
      if (self.me !== me) { return; }
      self.stopPublishing("failed");
      S.emit("stage_leave", {}, function () {});
    });
  };

  View.prototype.leave = function () {
    this.stopPublishing("left"); // at once: the server's "off" push finds nothing left to stop
    S.emit("stage_leave", {}, function () {});
  };

  View.prototype.stopPublishing = function (reason) {
    var me = this.me;
    if (!me) { return; }
    this.me = null;
    this.myState = "off";
    this.root.removeAttribute("data-publishing");
    if (me.publisher) { me.publisher.leave(); }
    if (me.session) { me.session.close(); }
    if (me.stream) { me.stream.getTracks().forEach(function (t) { t.stop(); }); }
    this.meBar.hidden = true;
    var told = {
      left: gettext("You left the stage."),
      taken_down: gettext("The teacher took you off the stage."),
      turn_over: gettext("Your turn is over. Thank you!"),
      mode: gettext("The teacher turned real-time video off, so the stage is closed."),
      failed: gettext("Your camera could not reach the class. Check your connection and try again when invited.")
    }[reason] || "";
    this.tell(told);
    this.renderTiles();
  };

  // Muted by a host: the microphone's track goes silent here too, and only a host can turn it on again.
  View.prototype.setMuted = function (muted) {
    this.myMuted = muted;
    var button = this.meBar.querySelector("[data-stage-mic]");
    var note = this.meBar.querySelector("[data-stage-muted]");
    note.hidden = !muted;
    if (muted) {
      // what the student had chosen comes back when the host turns the microphone on again (it stayed off:
      // the host's tile showed it on while nobody heard the student)
      if (this.micBeforeMute === undefined) { this.micBeforeMute = !!this.micOff; }
      this.micOff = true;
      button.disabled = true;
    } else {
      if (this.micBeforeMute !== undefined) { this.micOff = this.micBeforeMute; this.micBeforeMute = undefined; }
      button.disabled = false;
    }
    this.applyMic();
  };

  View.prototype.toggleMic = function () {
    if (this.myMuted) { return; }
    this.micOff = !this.micOff;
    this.applyMic();
  };

  View.prototype.applyMic = function () {
    var off = this.micOff || this.myMuted;
    if (this.me && this.me.stream) { this.me.stream.getAudioTracks().forEach(function (t) { t.enabled = !off; }); }
    var button = this.meBar.querySelector("[data-stage-mic]");
    button.setAttribute("aria-pressed", off ? "true" : "false");
    button.textContent = off ? gettext("Turn my microphone on") : gettext("Mute my microphone");
  };

  function init() {
    document.querySelectorAll("[data-stage-view]").forEach(function (root) {
      if (root.stageView) { return; }
      root.stageView = new View(root);
      root.stageView.init();
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
