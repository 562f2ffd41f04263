// What the member's stage (stage_view.js) and the host's (stage_host.js) share: the Janus token from the
// server (POST .../stage/token, contract in lms/live/stage), the room's socket (room.js), the tiles of the
// people on stage and a Watcher that keeps one WebRTC subscription in step with the feeds wanted.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.stage) { return; }
  var i18n = Circles.i18n || { gettext: function (s) { return s; } };
  var gettext = i18n.gettext;
  var RECONCILE_MS = 2000; // how often a Watcher asks Janus which wanted feeds publish now

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function secondsUntil(iso) {
    var at = Date.parse(iso || "");
    return isNaN(at) ? null : (at - Date.now()) / 1000;
  }

  // The room panel's connection (room.js): every stage event goes over it, after its `join`.
  function room() {
    var root = document.querySelector("[data-live-room]");
    return root && root.liveRoom;
  }

  function emit(event, data, done) {
    var r = room();
    if (!r || !r.socket.connected) {
      if (done) { done({ ok: false, error: gettext("Not connected to the lesson. Reconnecting…") }); }
      return;
    }
    r.emit(event, data || {}, done || function (reply) { if (!reply.ok && reply.error) { r.notice(reply.error); } });
  }

  // The Janus access for this person: {ok, role, token, janus: {...}, feeds, display} or {ok: false, code, error}.
  function fetchToken(url, role) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": meta ? meta.content : "" },
      body: JSON.stringify(role ? { role: role } : {})
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, code: "http", error: "" }; }).then(function (d) {
        if (!r.ok && d.ok !== false) { d = { ok: false, code: "http", error: "" }; }
        return d;
      });
    }, function () { return { ok: false, code: "network", error: "" }; });
  }

  // What stage_client.connect takes, from the token answer.
  function access(answer) {
    var j = answer.janus || {};
    return {
      server: [j.ws_url, j.http_url].filter(Boolean),
      token: answer.token,
      join_token: answer.room_token || answer.token,
      room: j.room,
      ice_servers: j.ice_servers || []
    };
  }

  // A person's tile: their video (and sound), name, a muted mark and the turn's time left.
  function tile(person, options) {
    options = options || {};
    var li = el("li", "live-rtc-tile");
    li.setAttribute("data-tile", String(person.id));
    var video = el("video", "live-rtc-tile-video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = !!options.muted;
    video.setAttribute("aria-label", gettext("%(name)s on stage", { name: person.name }));
    li.appendChild(video);
    var caption = el("p", "live-rtc-tile-name");
    caption.appendChild(el("span", "member-name", person.name));
    var mic = el("span", "live-rtc-muted", gettext("Microphone off"));
    mic.setAttribute("data-tile-muted", "");
    mic.hidden = true;
    caption.appendChild(mic);
    var left = el("span", "live-rtc-turn");
    left.setAttribute("data-tile-turn", "");
    left.hidden = true;
    caption.appendChild(left);
    li.appendChild(caption);
    li.appendChild(el("p", "live-rtc-tile-wait", gettext("Connecting…")));
    video.addEventListener("playing", function () { li.setAttribute("data-playing", ""); });
    return li;
  }

  // A muted person is silent on every page that plays them, whatever their own page sends (a reload publishes
  // new feeds, which Janus has not muted): the pages turn their sound back on when the host does (`data-muted`).
  function updateTile(li, entry) {
    li.querySelector("[data-tile-muted]").hidden = !entry.muted;
    li.toggleAttribute("data-muted", !!entry.muted);
    if (entry.muted) { li.querySelector("video").muted = true; }
    li.setAttribute("data-turn-ends-at", entry.turn_ends_at || "");
    tickTile(li);
  }

  function tickTile(li) {
    var span = li.querySelector("[data-tile-turn]");
    var left = secondsUntil(li.getAttribute("data-turn-ends-at"));
    span.hidden = left === null;
    if (left !== null) { span.textContent = gettext("%(time)s left", { time: clock(left) }); }
  }

  // One subscription (one RTCPeerConnection) to the feeds wanted now. want(ids) says which; onTrack(feed,
  // stream) hands each feed's MediaStream (again when its tracks change); onState as stage_client's.
  function Watcher(session, options) {
    this.session = session;
    this.onFeed = options.onFeed || function () {};
    this.onState = options.onState || function () {};
    this.onChange = options.onChange || function () {}; // after the subscribed feeds changed
    this.privateId = options.privateId || null;
    this.wanted = [];
    this.subscribed = [];
    this.streams = {}; // feed id -> MediaStream
    this.subscriber = null;
    this.busy = false;
    this.closed = false;
    var self = this;
    this.timer = setInterval(function () { self.reconcile(); }, RECONCILE_MS);
  }

  Watcher.prototype.want = function (ids) {
    this.wanted = ids.map(Number).filter(Boolean);
    this.reconcile();
  };

  // Which wanted feeds Janus has now (listparticipants), then subscribe/unsubscribe the difference.
  Watcher.prototype.reconcile = function () {
    var self = this;
    if (this.busy || this.closed) { return; }
    this.busy = true;
    this.session.publishing().then(function (present) {
      var there = self.wanted.filter(function (id) { return present.indexOf(id) >= 0; });
      var add = there.filter(function (id) { return self.subscribed.indexOf(id) < 0; });
      var remove = self.subscribed.filter(function (id) { return there.indexOf(id) < 0; });
      if (!add.length && !remove.length) { return null; }
      if (!self.subscriber) {
        if (!add.length) { return null; }
        return self.session.subscribe({
          feeds: add.map(function (id) { return { feed: id }; }),
          privateId: self.privateId,
          onTrack: function (track, mid, on, feed) { self.track(track, on, feed); },
          onState: function (kind, detail) { self.onState(kind, detail); }
        }).then(function (subscriber) {
          if (self.closed) { subscriber.leave(); return; }
          self.subscriber = subscriber;
          self.subscribed = add;
          self.onChange(self.subscribed);
        });
      }
      return self.subscriber.update(add.map(function (id) { return { feed: id }; }),
        remove.map(function (id) { return { feed: id }; })).then(function () {
        self.subscribed = self.subscribed.filter(function (id) { return remove.indexOf(id) < 0; }).concat(add);
        remove.forEach(function (id) { delete self.streams[id]; self.onFeed(id, null); });
        self.onChange(self.subscribed);
      });
    }).catch(function (error) {
      self.onState("error", error && error.message);
    }).then(function () { self.busy = false; });
  };

  Watcher.prototype.track = function (track, on, feed) {
    if (!feed) { return; }
    var stream = this.streams[feed] = this.streams[feed] || new MediaStream();
    if (on) {
      if (stream.getTracks().indexOf(track) < 0) {
        stream.getTracks().filter(function (t) { return t.kind === track.kind; }).forEach(function (t) { stream.removeTrack(t); });
        stream.addTrack(track);
      }
    } else {
      stream.removeTrack(track);
    }
    this.onFeed(feed, stream);
  };

  Watcher.prototype.peerConnection = function () { return this.subscriber && this.subscriber.peerConnection(); };

  Watcher.prototype.close = function () {
    this.closed = true;
    clearInterval(this.timer);
    if (this.subscriber) { this.subscriber.leave(); this.subscriber = null; }
  };

  // The page's camera and microphone for a device check: preview + level + device lists.
  function DeviceCheck(box) {
    this.box = box;
    this.video = box.querySelector("[data-check-preview]");
    this.camera = box.querySelector("[data-check-camera]");
    this.mic = box.querySelector("[data-check-mic]");
    this.meter = box.querySelector("[data-check-level]");
    this.error = box.querySelector("[data-check-error]");
    this.stream = null;
    this.context = null;
    var self = this;
    [this.camera, this.mic].forEach(function (select) {
      select.addEventListener("change", function () { self.open(); });
    });
  }

  DeviceCheck.prototype.open = function () {
    var self = this;
    this.fail("");
    var video = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };
    if (this.camera.value) { video.deviceId = { exact: this.camera.value }; }
    var audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    if (this.mic.value) { audio.deviceId = { exact: this.mic.value }; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.fail(gettext("This browser cannot use a camera. Use a current Chrome, Edge, Firefox or Safari."));
      return Promise.resolve(null);
    }
    return navigator.mediaDevices.getUserMedia({ video: video, audio: audio }).then(function (stream) {
      self.release();
      self.stream = stream;
      self.video.srcObject = stream;
      self.video.play().catch(function () {});
      self.level(stream);
      self.list();
      self.box.setAttribute("data-check-ready", "");
      return stream;
    }, function (error) {
      self.box.removeAttribute("data-check-ready");
      self.fail(error && error.name === "NotAllowedError"
        ? gettext("The browser was not allowed to use the camera or microphone. Allow it in the address bar, then try again.")
        : gettext("The camera or microphone could not be opened. Check that no other program uses it, then try again."));
      return null;
    });
  };

  DeviceCheck.prototype.fail = function (text) {
    this.error.textContent = text || "";
    this.error.hidden = !text;
  };

  DeviceCheck.prototype.list = function () {
    var self = this;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      [[self.camera, "videoinput", function (n) { return gettext("Camera %(n)d", { n: n }); }],
       [self.mic, "audioinput", function (n) { return gettext("Microphone %(n)d", { n: n }); }]].forEach(function (spec) {
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

  DeviceCheck.prototype.level = function (stream) {
    var self = this;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || !stream.getAudioTracks().length) { return; }
    var context = this.context = new Context();
    var analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
    var data = new Float32Array(analyser.fftSize);
    var tick = function () {
      if (self.context !== context) { return; }
      analyser.getFloatTimeDomainData(data);
      var sum = 0;
      for (var i = 0; i < data.length; i += 1) { sum += data[i] * data[i]; }
      self.meter.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
      setTimeout(tick, 100);
    };
    tick();
  };

  // Hands the stream over (to be published) without stopping it.
  DeviceCheck.prototype.take = function () {
    var stream = this.stream;
    this.stream = null;
    this.stopMeter();
    this.video.srcObject = null;
    return stream;
  };

  DeviceCheck.prototype.stopMeter = function () {
    if (this.context) { this.context.close().catch(function () {}); this.context = null; }
  };

  DeviceCheck.prototype.release = function () {
    this.stopMeter();
    if (this.stream) { this.stream.getTracks().forEach(function (t) { t.stop(); }); this.stream = null; }
    this.video.srcObject = null;
    this.box.removeAttribute("data-check-ready");
  };

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent("live:" + name, { detail: detail || {} }));
  }

  Circles.stage = {
    el: el,
    clock: clock,
    secondsUntil: secondsUntil,
    room: room,
    emit: emit,
    fetchToken: fetchToken,
    access: access,
    tile: tile,
    updateTile: updateTile,
    tickTile: tickTile,
    Watcher: Watcher,
    DeviceCheck: DeviceCheck,
    announce: announce
  };
})();
