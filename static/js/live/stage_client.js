// The real-time lesson's signalling with the Janus server (VideoRoom plugin), as promises over the vendored
// janus.js (static/vendor/janus-gateway, which needs static/vendor/webrtc-adapter loaded first).
//
//   Circles.stageClient.connect(access)            -> Promise<Session>   access: what the server handed this
//                                                                         member (lms/live stage events): server
//                                                                         URL(s), token, room, ICE servers
//   session.publish({ display, tracks, onFeeds })  -> Promise<Publisher> publishes audio/video tracks we own
//   session.subscribe({ feeds, privateId, onTrack, onState }) -> Promise<Subscriber>
//
// Nothing here knows the page: stage_view.js (members) and stage_broadcast.js (hosts) do. The tracks given
// to publish() stay the page's (janus.js neither opens nor stops devices here). No default STUN server: the
// ICE servers are the site's (the contract's `ice_servers`), never a third party's.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  if (Circles.stageClient) { return; }
  var PLUGIN = "janus.plugin.videoroom";
  var ready = null;

  function init() {
    if (!window.Janus) { return Promise.reject(new Error("janus.js is not loaded")); }
    if (!ready) {
      ready = new Promise(function (resolve) {
        window.Janus.init({ debug: false, dependencies: window.Janus.useDefaultDependencies(), callback: resolve });
      });
    }
    return ready;
  }

  function janusError(error) {
    if (error instanceof Error) { return error; }
    var e = new Error(typeof error === "string" ? error : (error && (error.message || error.error)) || "janus");
    if (error && error.error_code) { e.code = error.error_code; }
    return e;
  }

  // A VideoRoom request answered synchronously (`send` with a success that carries the plugin's data).
  function request(handle, message) {
    return new Promise(function (resolve, reject) {
      handle.send({
        message: message,
        success: function (data) {
          if (data && data.error) { reject(janusError({ message: data.error, error_code: data.error_code })); } else { resolve(data); }
        },
        error: function (error) { reject(janusError(error)); }
      });
    });
  }

  function Session(janus, access) {
    this.janus = janus;
    this.access = access;
    this.handles = [];
  }

  Session.prototype.attach = function (callbacks) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var options = {
        plugin: PLUGIN,
        opaqueId: "circles-" + (self.access.room || "") + "-" + Math.random().toString(36).slice(2, 10),
        success: function (handle) { self.handles.push(handle); resolve(handle); },
        error: function (error) { reject(janusError(error)); }
      };
      Object.keys(callbacks).forEach(function (k) { options[k] = callbacks[k]; });
      if (self.access.plugin_token) { options.token = self.access.plugin_token; }
      self.janus.attach(options);
    });
  };

  // The room's join fields the server handed out: the room id, and its token or pin when the room has them.
  Session.prototype.joinFields = function (message) {
    var a = this.access;
    message.room = a.room;
    if (a.join_token) { message.token = a.join_token; }
    if (a.pin) { message.pin = a.pin; }
    return message;
  };

  // Joins as a publisher and publishes `tracks` (MediaStreamTracks the page owns). `onFeeds(list, gone)` hears
  // of the other publishers of the room: list = [{id, display, streams}] newly there, gone = an id that left.
  Session.prototype.publish = function (options) {
    var self = this;
    var feeds = options.onFeeds || function () {};
    var state = options.onState || function () {};
    var pending = null; // the publish answer's resolve/reject
    var handle = null;
    return this.attach({
      iceState: function (s) { state("ice", s); },
      webrtcState: function (up, reason) { state(up ? "up" : "down", reason); },
      slowLink: function (uplink, lost) { state("slow", lost); },
      onmessage: function (msg, jsep) {
        if (jsep && handle) { handle.handleRemoteJsep({ jsep: jsep }); }
        if (msg.publishers && msg.publishers.length) { feeds(msg.publishers, null); }
        if (msg.unpublished && msg.unpublished !== "ok") { feeds([], msg.unpublished); }
        if (msg.leaving && msg.leaving !== "ok") { feeds([], msg.leaving); }
        if (msg.error && pending) { pending.reject(janusError({ message: msg.error, error_code: msg.error_code })); pending = null; }
        if (msg.videoroom === "event" && msg.configured === "ok" && pending) { pending.resolve(); pending = null; }
        if (msg.videoroom === "joined" && pending) { pending.resolve(msg); pending = null; }
        if (msg.videoroom === "destroyed") { state("destroyed"); }
        if (msg.videoroom === "event" && msg.error_code && !pending) { state("error", msg.error); }
      },
      oncleanup: function () { state("cleanup"); }
    }).then(function (h) {
      handle = h;
      return new Promise(function (resolve, reject) {
        pending = { resolve: resolve, reject: reject };
        var join = self.joinFields({ request: "join", ptype: "publisher", display: options.display || "" });
        if (options.id) { join.id = options.id; }
        handle.send({ message: join, error: function (e) { reject(janusError(e)); } });
      });
    }).then(function (joined) {
      if (joined.publishers && joined.publishers.length) { feeds(joined.publishers, null); }
      var publisher = new Publisher(handle, joined);
      return publisher.offer(options.tracks, options.bitrate, function (p) { pending = p; }).then(function () { return publisher; });
    });
  };

  function Publisher(handle, joined) {
    this.handle = handle;
    this.id = joined.id;
    this.privateId = joined.private_id;
  }

  Publisher.prototype.offer = function (tracks, bitrate, wait) {
    var handle = this.handle;
    return new Promise(function (resolve, reject) {
      handle.createOffer({
        tracks: tracks.map(function (t) { return { type: t.kind, capture: t, recv: false }; }),
        success: function (jsep) {
          wait({ resolve: resolve, reject: reject });
          var body = { request: "publish" };
          if (bitrate) { body.bitrate = bitrate; }
          handle.send({ message: body, jsep: jsep, error: function (e) { reject(janusError(e)); } });
        },
        error: function (e) { reject(janusError(e)); }
      });
    });
  };

  // A new picture or microphone (the teacher switched to the screen): the same senders, other tracks.
  Publisher.prototype.replace = function (tracks) {
    var handle = this.handle;
    return new Promise(function (resolve, reject) {
      handle.replaceTracks({
        tracks: tracks.map(function (t) { return { type: t.kind, capture: t, recv: false }; }),
        success: resolve,
        error: function (e) { reject(janusError(e)); }
      });
    });
  };

  Publisher.prototype.peerConnection = function () { return this.handle.webrtcStuff && this.handle.webrtcStuff.pc; };

  Publisher.prototype.leave = function () {
    var handle = this.handle;
    try { handle.send({ message: { request: "leave" } }); } catch (e) { /* the session is gone already */ }
    return new Promise(function (resolve) { handle.detach({ success: resolve, error: resolve }); });
  };

  // Subscribes to `feeds` ([{feed: publisherId}]) on one handle (VideoRoom's multistream subscriber);
  // `onTrack(track, mid, on, feedId)` for each remote track, `onState(kind, detail)` for ICE/WebRTC changes.
  Session.prototype.subscribe = function (options) {
    var self = this;
    var onTrack = options.onTrack || function () {};
    var state = options.onState || function () {};
    var handle = null;
    var streams = {}; // mid -> feed id, from the plugin's "streams" lists
    var pending = null;
    var subscriber = null;
    return this.attach({
      iceState: function (s) { state("ice", s); },
      webrtcState: function (up, reason) { state(up ? "up" : "down", reason); },
      onmessage: function (msg, jsep) {
        if (msg.error) {
          if (pending) { pending.reject(janusError({ message: msg.error, error_code: msg.error_code })); pending = null; }
          else { state("error", msg.error); }
          return;
        }
        (msg.streams || []).forEach(function (s) { if (s.mid) { streams[s.mid] = s.feed_id; } });
        if (jsep) {
          handle.createAnswer({
            jsep: jsep,
            tracks: [],
            success: function (answer) {
              var body = self.joinFields({ request: "start" });
              handle.send({ message: body, jsep: answer });
              if (pending) { pending.resolve(); pending = null; }
            },
            error: function (e) {
              if (pending) { pending.reject(janusError(e)); pending = null; } else { state("error", String(e)); }
            }
          });
        } else if (pending && (msg.videoroom === "attached" || msg.videoroom === "updated")) {
          pending.resolve();
          pending = null;
        }
      },
      onremotetrack: function (track, mid, on) { onTrack(track, mid, on, streams[mid]); },
      oncleanup: function () { state("cleanup"); }
    }).then(function (h) {
      handle = h;
      subscriber = new Subscriber(handle, function (p) { pending = p; });
      return new Promise(function (resolve, reject) {
        pending = { resolve: resolve, reject: reject };
        var join = self.joinFields({ request: "join", ptype: "subscriber", streams: options.feeds });
        if (options.privateId) { join.private_id = options.privateId; }
        handle.send({ message: join, error: function (e) { reject(janusError(e)); } });
      });
    }).then(function () { return subscriber; });
  };

  function Subscriber(handle, wait) {
    this.handle = handle;
    this.wait = wait;
  }

  // More feeds or fewer on the same connection (someone came on stage or left it).
  Subscriber.prototype.update = function (add, remove) {
    var handle = this.handle, wait = this.wait;
    var body = { request: "update" };
    if (add && add.length) { body.subscribe = add; }
    if (remove && remove.length) { body.unsubscribe = remove; }
    if (!body.subscribe && !body.unsubscribe) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      wait({ resolve: resolve, reject: reject });
      handle.send({ message: body, error: function (e) { reject(janusError(e)); } });
    });
  };

  Subscriber.prototype.peerConnection = function () { return this.handle.webrtcStuff && this.handle.webrtcStuff.pc; };

  Subscriber.prototype.leave = function () {
    var handle = this.handle;
    return new Promise(function (resolve) { handle.detach({ success: resolve, error: resolve }); });
  };

  // The ids of the room's participants that publish now (a subscriber hears of no one by itself).
  Session.prototype.publishing = function () {
    var self = this;
    if (!this.control) { this.control = this.attach({}); }
    return this.control.then(function (handle) {
      return request(handle, { request: "listparticipants", room: self.access.room });
    }).then(function (data) {
      return (data.participants || []).filter(function (p) { return p.publisher; }).map(function (p) { return Number(p.id); });
    }, function (error) {
      self.control = null;
      throw error;
    });
  };

  Session.prototype.close = function () {
    var janus = this.janus;
    return new Promise(function (resolve) {
      try { janus.destroy({ success: resolve, error: resolve, notifyDestroyed: false }); } catch (e) { resolve(); }
    });
  };

  // access: { server (URL or list, WebSocket first), token, room, join_token, pin, ice_servers, ice_transport_policy }
  function connect(access, onLost) {
    return init().then(function () {
      return new Promise(function (resolve, reject) {
        var opened = false;
        var options = {
          server: access.server,
          iceServers: access.ice_servers || [],
          success: function () { opened = true; resolve(new Session(janus, access)); },
          error: function (error) {
            if (!opened) { reject(janusError(error)); } else if (onLost) { onLost(janusError(error)); }
          },
          destroyed: function () { if (opened && onLost) { onLost(null); } }
        };
        if (access.token) { options.token = access.token; }
        if (access.ice_transport_policy) { options.iceTransportPolicy = access.ice_transport_policy; }
        var janus = new window.Janus(options);
      });
    });
  }

  Circles.stageClient = { connect: connect };
})();
