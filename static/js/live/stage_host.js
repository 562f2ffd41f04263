// The host's real-time stage on the broadcast page (templates/live/_stage_host.html, beside broadcast.js).
//
// Real-time mode on (`stage_mode`): while the host broadcasts (broadcast.js announces "live:broadcasting" and
// its device streams as "live:inputs"), the page publishes the same tracks to Janus with the feed ids the
// server handed out: the camera feed (camera + microphone) and, while the screen is shown, the screen feed.
// broadcast.js keeps sending its WebM pieces meanwhile: they make the HLS fallback and the recording, which
// show the students on stage too: each change of the tiles is announced to it ("live:stage_media").
// The stage: the students on stage play in tiles (their sound on), each with Mute and Take down; raised
// hands and chat authors can be invited; "take turns" invites the raised hands one after another for a set
// time, with the turn's countdown on every tile. The server decides everything (events on /live, acks and
// the `stage` push); this page only shows and asks. `root.dataset.publishing` is set while Janus has the feeds.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var S = Circles.stage;
  if (!S || !Circles.stageClient) { return; }
  var i18n = Circles.i18n || { gettext: function (s) { return s; }, ngettext: function (a, b, n) { return n === 1 ? a : b; } };
  var gettext = i18n.gettext, ngettext = i18n.ngettext;

  function Host(root) {
    this.root = root;
    this.lessonId = root.getAttribute("data-lesson-id");
    this.userId = Number(root.getAttribute("data-user-id"));
    this.tokenUrl = root.getAttribute("data-token-url");
    this.modeBox = root.querySelector("[data-stage-mode]");
    this.panel = root.querySelector("[data-stage-panel]");
    this.tiles = root.querySelector("[data-stage-tiles]");
    this.invited = root.querySelector("[data-stage-invited]");
    this.pick = root.querySelector("[data-stage-pick]");
    this.statusLine = root.querySelector("[data-stage-status]");
    this.errorLine = root.querySelector("[data-stage-error]");
    this.stage = null;
    this.live = false;
    this.inputs = null;
    this.pub = null; // {session, camera, screen, watcher, answer}
    this.chain = Promise.resolve();
    this.streams = {}; // user id -> MediaStream of their camera feed
  }

  Host.prototype.say = function (text) { this.statusLine.textContent = text || ""; };
  Host.prototype.fail = function (text) {
    this.errorLine.textContent = text || "";
    this.errorLine.hidden = !text;
  };
  Host.prototype.answered = function (reply) {
    this.fail(reply.ok ? "" : (reply.error || gettext("Something went wrong. Try again.")));
    return reply.ok;
  };

  Host.prototype.init = function () {
    var self = this;
    var broadcast = document.querySelector("[data-broadcast]");
    if (broadcast && broadcast.broadcast) {
      var b = broadcast.broadcast;
      this.live = !!b.live;
      if (b.inputs && b.inputs.length) { this.inputs = { screen: b.inputs.length > 1 ? b.inputs[0] : null, user: b.inputs[b.inputs.length - 1] }; }
    }
    document.addEventListener("live:stage", function (e) { self.onStage(e.detail || {}); });
    document.addEventListener("live:broadcasting", function (e) { self.live = !!(e.detail || {}).live; self.syncPublishing(); });
    document.addEventListener("live:inputs", function (e) {
      var d = e.detail || {};
      self.inputs = { screen: d.screen || null, user: d.user };
      if (self.pub) { self.republish(); } else { self.syncPublishing(); }
    });
    this.modeBox.addEventListener("change", function () {
      var on = self.modeBox.checked;
      self.modeBox.disabled = true;
      S.emit("stage_mode", { mode: on ? "realtime" : "hls" }, function (reply) {
        self.modeBox.disabled = false;
        if (!self.answered(reply)) { self.modeBox.checked = !on; return; }
        if (reply.stage) { self.onStage(reply.stage); }
      });
    });
    this.root.querySelector("[data-stage-invite-button]").addEventListener("click", function () {
      if (!self.pick.value) { return; }
      self.invite(Number(self.pick.value));
    });
    this.pick.addEventListener("focus", function () { self.fillPick(); });
    this.root.querySelector("[data-turns-start]").addEventListener("click", function () {
      var seconds = Number(self.root.querySelector("[data-turn-seconds]").value);
      S.emit("stage_turns", { seconds: seconds }, function (reply) {
        if (self.answered(reply) && reply.stage) { self.onStage(reply.stage); }
      });
    });
    this.root.querySelector("[data-turns-stop]").addEventListener("click", function () {
      S.emit("stage_turns_stop", {}, function (reply) {
        if (self.answered(reply) && reply.stage) { self.onStage(reply.stage); }
      });
    });
    this.root.querySelector("[data-stage-unmute]").addEventListener("click", function (e) {
      self.tiles.querySelectorAll("video").forEach(function (v) {
        v.muted = v.closest("[data-tile]").hasAttribute("data-muted");
        v.play().catch(function () {});
      });
      e.target.hidden = true;
    });
    this.watchHands();
    setInterval(function () { self.tick(); }, 1000);
  };

  // -- the state -------------------------------------------------------------------------------------
  Host.prototype.onStage = function (d) {
    this.stage = d;
    var realtime = d.mode === "realtime";
    this.modeBox.checked = realtime;
    this.panel.hidden = !realtime;
    this.root.setAttribute("data-mode", d.mode || "hls");
    if (realtime && !d.realtime) {
      this.say(gettext("Real-time video is not available right now; the class watches the usual video."));
    }
    this.renderTiles();
    this.renderInvited();
    this.renderTurns();
    this.fillPick();
    this.markHands();
    this.syncPublishing();
    if (this.pub && this.pub.watcher) { this.pub.watcher.want(this.studentFeeds()); }
  };

  Host.prototype.studentFeeds = function () {
    return ((this.stage && this.stage.on_stage) || []).map(function (s) { return s.feeds.camera; }).filter(Boolean);
  };

  Host.prototype.renderTiles = function () {
    var self = this;
    var entries = (this.stage && this.stage.realtime) ? (this.stage.on_stage || []) : [];
    var keep = {};
    entries.forEach(function (entry) {
      var id = String(entry.user.id);
      keep[id] = true;
      var li = self.tiles.querySelector('[data-tile="' + id + '"]');
      if (!li) {
        li = S.tile(entry.user, { muted: false });
        var tools = S.el("p", "live-rtc-tile-tools");
        var mute = S.el("button", "small", "");
        mute.type = "button";
        mute.setAttribute("data-tile-mute", "");
        mute.addEventListener("click", function () {
          var now = self.entryOf(entry.user.id);
          S.emit("stage_mute", { user_id: entry.user.id, muted: !(now && now.muted) }, function (reply) { self.answered(reply); });
        });
        var down = S.el("button", "small danger", gettext("Take off the stage"));
        down.type = "button";
        down.setAttribute("data-tile-down", "");
        down.setAttribute("aria-label", gettext("Take %(name)s off the stage", { name: entry.user.name }));
        down.addEventListener("click", function () {
          S.emit("stage_down", { user_id: entry.user.id }, function (reply) { self.answered(reply); });
        });
        tools.appendChild(mute);
        tools.appendChild(down);
        li.appendChild(tools);
        self.tiles.appendChild(li);
      }
      var mute = li.querySelector("[data-tile-mute]");
      // the microphone's words, not the chat's ("Mute" alone is the chat's mute in the room panel)
      mute.textContent = entry.muted ? gettext("Turn the microphone on") : gettext("Mute the microphone");
      mute.setAttribute("aria-label", entry.muted ? gettext("Turn the microphone of %(name)s on", { name: entry.user.name })
                                                  : gettext("Mute the microphone of %(name)s", { name: entry.user.name }));
      self.attach(li, self.streams[entry.user.id]);
      S.updateTile(li, entry);
      // their sound back when the host turns it on (unless this browser wants a click first: see attach)
      if (!entry.muted) { li.querySelector("video").muted = !self.root.querySelector("[data-stage-unmute]").hidden; }
    });
    this.tiles.querySelectorAll("[data-tile]").forEach(function (li) {
      if (!keep[li.getAttribute("data-tile")]) { li.remove(); }
    });
    // broadcast.js draws these people into what goes out (the recording and the HLS fallback)
    S.announce("stage_media", {
      people: entries.map(function (entry) {
        return { id: entry.user.id, name: entry.user.name, stream: self.streams[entry.user.id] || null,
                 muted: !!entry.muted, turnEndsAt: Date.parse(entry.turn_ends_at || "") || null };
      }),
      max: (this.stage && this.stage.max) || 16
    });
    var count = this.root.querySelector("[data-stage-count]");
    count.textContent = gettext("%(count)s of %(max)s", { count: entries.length, max: (this.stage && this.stage.max) || 16 });
    this.root.querySelector("[data-stage-empty]").hidden = entries.length > 0;
  };

  Host.prototype.attach = function (li, stream) {
    var self = this, video = li.querySelector("video");
    if (video.srcObject === (stream || null)) { return; }
    video.srcObject = stream || null;
    if (!stream) { return; }
    video.play().catch(function () {
      // the browser refused sound without a click here: play muted, offer the sound
      video.muted = true;
      video.play().catch(function () {});
      self.root.querySelector("[data-stage-unmute]").hidden = false;
    });
  };

  Host.prototype.entryOf = function (userId) {
    return ((this.stage && this.stage.on_stage) || []).filter(function (s) { return s.user.id === userId; })[0];
  };

  Host.prototype.renderInvited = function () {
    var self = this, list = this.invited;
    list.querySelectorAll("[data-user-id]").forEach(function (li) { li.remove(); });
    var entries = (this.stage && this.stage.invited) || [];
    entries.forEach(function (entry) {
      var li = S.el("li");
      li.setAttribute("data-user-id", entry.user.id);
      li.setAttribute("data-expires-at", entry.expires_at || "");
      li.appendChild(S.el("span", "member-name", entry.user.name));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(S.el("span", "muted", ""));
      var withdraw = S.el("button", "small", gettext("Withdraw the invitation"));
      withdraw.type = "button";
      withdraw.setAttribute("aria-label", gettext("Withdraw the invitation of %(name)s", { name: entry.user.name }));
      withdraw.addEventListener("click", function () {
        S.emit("stage_down", { user_id: entry.user.id }, function (reply) { self.answered(reply); });
      });
      li.appendChild(withdraw);
      list.appendChild(li);
    });
    list.querySelector("[data-empty]").hidden = entries.length > 0;
  };

  Host.prototype.renderTurns = function () {
    var turns = this.stage && this.stage.turns;
    this.root.querySelector("[data-turns-start]").hidden = !!turns;
    this.root.querySelector("[data-turns-stop]").hidden = !turns;
    this.root.querySelector("[data-turn-seconds]").disabled = !!turns;
    this.tick();
  };

  Host.prototype.tick = function () {
    this.tiles.querySelectorAll("[data-tile]").forEach(S.tickTile);
    this.invited.querySelectorAll("[data-expires-at]").forEach(function (li) {
      var left = S.secondsUntil(li.getAttribute("data-expires-at"));
      li.querySelector(".muted").textContent = left === null ? "" : gettext("answers within %(time)s", { time: S.clock(left) });
    });
    var line = this.root.querySelector("[data-turns-line]");
    var turns = this.stage && this.stage.turns;
    if (!turns) { line.hidden = true; return; }
    line.hidden = false;
    var waiting = (turns.queue || []).length;
    var left = S.secondsUntil(turns.ends_at);
    var current = turns.current ? this.entryOf(turns.current) : null;
    var name = current ? current.user.name : "";
    var parts = [];
    if (name && left !== null) {
      parts.push(gettext("%(name)s has %(time)s left.", { name: name, time: S.clock(left) }));
    } else {
      parts.push(gettext("Waiting for the next student to accept."));
    }
    if (waiting) parts.push(ngettext("%(num)d more waits for a turn.", "%(num)d more wait for a turn.", waiting));
    line.textContent = i18n.sentences ? i18n.sentences.apply(null, parts) : parts.join(" ");
  };

  // -- inviting ---------------------------------------------------------------------------------------
  Host.prototype.invite = function (userId) {
    var self = this;
    S.emit("stage_invite", { user_id: userId }, function (reply) { self.answered(reply); });
  };

  // People one can invite: the raised hands first, then who wrote in the chat (students present now);
  // not the hosts, not those on stage or invited already.
  Host.prototype.candidates = function () {
    var seen = {}, out = [];
    var busy = {};
    var d = this.stage || {};
    (d.on_stage || []).concat(d.invited || []).forEach(function (e) { busy[e.user.id] = true; });
    (d.hosts || []).forEach(function (h) { busy[h.user.id] = true; });
    var add = function (id, name, hand) {
      id = Number(id);
      if (!id || seen[id] || busy[id]) { return; }
      seen[id] = true;
      out.push({ id: id, name: name, hand: hand });
    };
    document.querySelectorAll('[data-list="hands"] [data-user-id]').forEach(function (li) {
      var name = li.querySelector(".member-name");
      add(li.getAttribute("data-user-id"), name ? name.textContent : "", true);
    });
    document.querySelectorAll(".live-messages .live-message-head [data-member-id]").forEach(function (span) {
      if (span.querySelector(".live-host-badge")) { return; }
      var name = span.querySelector(".member-name");
      add(span.getAttribute("data-member-id"), name ? name.textContent : "", false);
    });
    return out;
  };

  Host.prototype.fillPick = function () {
    var select = this.pick, chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    this.candidates().forEach(function (c) {
      var option = document.createElement("option");
      option.value = String(c.id);
      option.textContent = c.hand ? gettext("%(name)s (hand raised)", { name: c.name }) : c.name;
      select.appendChild(option);
    });
    select.value = chosen;
    if (select.value !== chosen) { select.value = ""; }
  };

  // An "Invite on stage" button on each raised hand of the room panel (room.js draws the list).
  Host.prototype.watchHands = function () {
    var self = this;
    var list = document.querySelector('[data-list="hands"]');
    if (!list || !window.MutationObserver) { return; }
    new MutationObserver(function () { self.markHands(); self.fillPick(); }).observe(list, { childList: true });
  };

  Host.prototype.markHands = function () {
    var self = this;
    var on = !!(this.stage && this.stage.mode === "realtime");
    document.querySelectorAll('[data-list="hands"] [data-user-id]').forEach(function (li) {
      var b = li.querySelector("[data-hand-invite]");
      if (!on) { if (b) { b.remove(); } return; }
      if (b) { return; }
      var id = Number(li.getAttribute("data-user-id"));
      var name = li.querySelector(".member-name");
      b = S.el("button", "small primary", gettext("Invite on stage"));
      b.type = "button";
      b.setAttribute("data-hand-invite", "");
      if (name) { b.setAttribute("aria-label", gettext("Invite %(name)s on stage", { name: name.textContent })); }
      b.addEventListener("click", function () { self.invite(id); });
      li.appendChild(b);
    });
  };

  // -- publishing --------------------------------------------------------------------------------------
  Host.prototype.shouldPublish = function () {
    return !!(this.stage && this.stage.realtime && this.live && this.inputs && this.inputs.user);
  };

  Host.prototype.syncPublishing = function () {
    var self = this;
    var should = this.shouldPublish();
    if (should && !this.pub && !this.starting) {
      this.starting = true;
      this.chain = this.chain.then(function () { return self.startPublishing(); })
        .catch(function (error) { self.publishFailed(error); })
        .then(function () { self.starting = false; });
    } else if (!should && this.pub) {
      this.chain = this.chain.then(function () { return self.stopPublishing(); });
    }
  };

  Host.prototype.startPublishing = function () {
    var self = this;
    this.say(gettext("Starting real-time video…"));
    return S.fetchToken(this.tokenUrl).then(function (answer) {
      if (!answer.ok) {
        throw Object.assign(new Error(answer.error || gettext("Real-time video is not available for this lesson; it plays over HLS.")),
          { translated: true });
      }
      return Circles.stageClient.connect(S.access(answer), function () { self.lost(); }).then(function (session) {
        self.pub = { session: session, answer: answer, camera: null, screen: null, watcher: null };
        self.renewAt(answer.renew_after);
        return self.publishFeeds();
      });
    }).then(function () {
      var pub = self.pub;
      pub.watcher = new S.Watcher(pub.session, {
        privateId: pub.camera && pub.camera.privateId,
        onFeed: function (feed, stream) {
          var owner = Math.floor(feed / 10);
          if (stream) { self.streams[owner] = stream; } else { delete self.streams[owner]; }
          self.renderTiles();
        }
      });
      pub.watcher.want(self.studentFeeds());
      self.root.dataset.publishing = "1";
      self.fail("");
      self.say(gettext("Real-time video is on: the class sees you in under a second."));
    });
  };

  Host.prototype.publishFeeds = function () {
    var pub = this.pub, inputs = this.inputs;
    var answer = pub.answer, feeds = answer.feeds || {};
    var user = inputs.user;
    var cameraTracks = user.getVideoTracks().slice(0, 1).concat(user.getAudioTracks().slice(0, 1));
    return pub.session.publish({ id: feeds.camera, display: answer.display || "", tracks: cameraTracks, bitrate: 1500000 })
      .then(function (camera) {
        pub.camera = camera;
        if (!inputs.screen || !feeds.screen) { return null; }
        return pub.session.publish({ id: feeds.screen, display: answer.display || "", tracks: inputs.screen.getVideoTracks().slice(0, 1), bitrate: 1500000 })
          .then(function (screen) { pub.screen = screen; });
      });
  };

  Host.prototype.unpublishFeeds = function () {
    var pub = this.pub;
    var leaving = [pub.camera, pub.screen].filter(Boolean).map(function (p) { return p.leave(); });
    pub.camera = pub.screen = null;
    return Promise.all(leaving);
  };

  // Another picture (camera, screen, both) or device: the feeds go again with the new tracks.
  Host.prototype.republish = function () {
    var self = this;
    this.chain = this.chain.then(function () {
      if (!self.pub) { return null; }
      return self.unpublishFeeds().then(function () { return self.publishFeeds(); });
    }).catch(function (error) { self.publishFailed(error); });
  };

  Host.prototype.stopPublishing = function () {
    var pub = this.pub;
    if (!pub) { return Promise.resolve(); }
    this.pub = null;
    clearTimeout(this.renewTimer);
    delete this.root.dataset.publishing;
    if (pub.watcher) { pub.watcher.close(); }
    this.streams = {};
    this.renderTiles();
    return Promise.all([pub.camera, pub.screen].filter(Boolean).map(function (p) { return p.leave(); }))
      .then(function () { return pub.session.close(); })
      .then(function () { });
  };

  // The token ends: publish again on a new session (the feed ids are the same, so the old ones go first).
  Host.prototype.renewAt = function (iso) {
    var self = this;
    clearTimeout(this.renewTimer);
    var left = S.secondsUntil(iso);
    if (left === null) { return; }
    this.renewTimer = setTimeout(function () {
      self.chain = self.chain.then(function () { return self.stopPublishing(); })
        .then(function () { if (self.shouldPublish()) { return self.startPublishing(); } return null; })
        .catch(function (error) { self.publishFailed(error); });
    }, Math.max(1, left) * 1000);
  };

  Host.prototype.lost = function () {
    var self = this;
    if (!this.pub) { return; }
    this.say(gettext("Real-time video dropped. Reconnecting…"));
    this.chain = this.chain.then(function () { return self.stopPublishing(); })
      .then(function () { if (self.shouldPublish()) { return self.startPublishing(); } return null; })
      .catch(function (error) { self.publishFailed(error); });
  };

  Host.prototype.publishFailed = function (error) {
    var self = this;
    // Janus's own messages are English and technical: only the server's (translated) ones are shown
    var why = error && error.translated ? error.message : gettext("Real-time video could not start.");
    this.fail(i18n.sentences ? i18n.sentences(why, gettext("The class watches the usual video, a few seconds behind."))
                             : why);
    this.say("");
    if (this.pub) { this.chain = this.chain.then(function () { return self.stopPublishing(); }); }
  };

  function init() {
    var root = document.querySelector("[data-stage-host]");
    if (!root || root.stageHost) { return; }
    root.stageHost = new Host(root);
    root.stageHost.init();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
