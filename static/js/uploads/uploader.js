// The upload widget rendered by templates/_partials/uploader.html (one per [data-uploader] element).
//
// For each chosen file: refuse it at once if it is too large (or, for a video the browser can read,
// too long); ask the page's check URL, if any, whether it may start (an assignment closed while the
// page was open, a full storage quota: said before the first byte); otherwise create the upload
// (POST, with the page's purpose), keep it in the assignment's draft (data-draft-url), fill the
// hidden input with the media id, send the
// bytes (transfer.js) showing percent, speed and time left, then follow the processing state live.
// The upload's token is kept in localStorage under the file's name, size and date, so choosing the
// same file again after a reload continues where the server stopped; an unfinished upload the page
// rendered (data-session: a draft, "My uploads") is continued by choosing a file of the same name and
// size, in any browser. Nothing is sending (offline, retrying, stalled): no speed, no time left.
// Dispatches on the root:
// `upload:state` (detail: media state JSON), `upload:progress` ({id, loaded, total}), `upload:cancel` ({id}).
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var uploads = Circles.uploads;
  var media = Circles.media;
  if (!uploads || !uploads.Transfer || !uploads.helpers || !media) { return; }
  var h = uploads.helpers;
  var gettext = Circles.i18n.gettext;
  var active = new Set(); // items moving bytes: leaving the page asks first

  // -- one file ----------------------------------------------------------------------------------

  class Item {
    // options: {session} to continue an upload the server already holds (the page rendered it),
    // {list} the element to show the item in (default: the widget's list).
    constructor(widget, file, options) {
      options = options || {};
      this.widget = widget;
      this.root = widget.root;
      this.file = file;
      this.key = h.storeKey(this.root, file);
      this.session = options.session || null;
      this.transfer = null;
      this.stopFollowing = null;
      this.meter = new h.Meter();
      this.pushed = null; // a state pushed while the last bytes were still on their way
      this.el = widget.template.content.firstElementChild.cloneNode(true);
      this.q(".upload-name").textContent = file.name;
      this.q(".upload-size").textContent = h.formatBytes(file.size);
      this.q("[data-upload-cancel]").addEventListener("click", this.cancel.bind(this));
      this.q("[data-upload-retry]").addEventListener("click", this.begin.bind(this));
      (options.list || widget.list).appendChild(this.el);
    }

    q(selector) { return this.el.querySelector(selector); }

    say(text, isError, kind) {
      var line = this.q(".upload-state");
      line.textContent = text;
      line.classList.toggle("error", Boolean(isError));
      this.lineKind = kind || "";
    }

    // Cancelled while a request was under way: stop at the next step.
    guard() {
      if (this.cancelled) { throw new uploads.TransferError("aborted", 0); }
    }

    buttons(cancel, retry) {
      this.q("[data-upload-cancel]").hidden = !cancel;
      this.q("[data-upload-retry]").hidden = !retry;
    }

    emit(name, detail) {
      this.root.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
    }

    refuse(text) {
      this.el.classList.add("is-refused");
      this.q(".upload-progress").hidden = true;
      this.buttons(false, false);
      this.say(text, true);
    }

    // Checks what can be checked here, then creates or resumes the upload.
    async start() {
      var root = this.root;
      var file = this.file;
      var maxBytes = Number(root.dataset.maxBytes || 0);
      if (file.size === 0) { return this.refuse(gettext("“%(name)s” is empty. Choose another file.", { name: file.name })); }
      if (maxBytes && file.size > maxBytes) {
        return this.refuse(h.tooLarge(file, maxBytes, root.dataset.kind));
      }
      var maxSeconds = Number(root.dataset.maxSeconds || root.dataset.siteMaxSeconds || 0);
      if (root.dataset.kind === "video" && maxSeconds) {
        this.say(gettext("Reading the file…"));
        var seconds = await h.videoDuration(file);
        if (seconds !== null && seconds > maxSeconds + 0.5) {
          return this.refuse(gettext("“%(name)s” is %(duration)s long, more than the limit of %(limit)s. Shorten the video first.",
            { name: file.name, duration: h.formatLength(seconds), limit: h.formatLength(maxSeconds) }));
        }
      }
      return this.begin();
    }

    async begin() {
      if (this.cancelled) { return; }
      this.buttons(true, false);
      this.el.classList.remove("is-failed");
      active.add(this);
      try {
        var session = this.session || h.storeGet(this.key);
        if (session && await this.alreadyReceived(session)) { return; }
        this.guard();
        if (!(await this.allowed(this.session ? 0 : this.file.size))) { return; }
        session = this.session || await this.create();
        await this.send(session);
      } catch (error) {
        this.failed(error);
      } finally {
        active.delete(this);
      }
    }

    // After a reload the bytes may all be there already: then just follow the state.
    async alreadyReceived(session) {
      this.say(gettext("Looking for the part already uploaded…"));
      var url = media.stateUrlFor(this.root.dataset.stateUrl, session.media_id);
      var result = await uploads.requestJSON("GET", url).catch(function () { return null; });
      if (!result) { this.session = session; return false; } // offline: the transfer waits for us
      if (result.status !== 200 || !result.json) {
        h.storeDelete(this.key); // not ours any more (expired, another account): start afresh
        this.session = null;
        return false;
      }
      this.session = session;
      this.setMedia(session.media_id);
      if (result.json.state === "uploading") { return false; }
      h.storeDelete(this.key);
      this.uploaded(result.json);
      return true;
    }

    // Asks the page's check URL (an assignment: is it still open for me, does the file fit my
    // storage?) before anything is created or sent, and before the rest of a stopped upload is sent
    // (`size` 0: its storage is already counted), so a page left open past the close says so before
    // the first byte either way; a refusal is shown with the server's reason.
    // No answer (offline): go on, the creation itself is checked the same way.
    async allowed(size) {
      var url = this.root.dataset.checkUrl;
      if (!url) { return true; }
      this.say(gettext("Starting the upload…"));
      var result = await uploads.requestJSON("GET", url + (url.indexOf("?") < 0 ? "?" : "&") +
        "size=" + encodeURIComponent(size)).catch(function () { return null; });
      if (!result || result.status === 200 || result.status >= 500 || result.status === 429) { return true; }
      this.refuse(uploads.errorText(result.json) ||
        gettext("The server did not accept this upload. Reload the page and choose the file again."));
      return false;
    }

    // The upload exists: keep it in the assignment's draft, so leaving the page loses nothing.
    keepInDraft(mediaId) {
      var url = this.root.dataset.draftUrl;
      if (!url) { return; }
      var attempt = function (n) {
        uploads.requestJSON("POST", url, { media_id: mediaId }).then(function (result) {
          if ((result.status >= 500 || result.status === 429) && n < 3) { setTimeout(function () { attempt(n + 1); }, 2000 * n); }
        }, function () {
          if (n < 3) { setTimeout(function () { attempt(n + 1); }, 2000 * n); }
        });
      };
      attempt(1);
    }

    async create() {
      this.say(gettext("Starting the upload…"));
      var root = this.root;
      var body = {
        filename: this.file.name,
        size: this.file.size,
        kind: root.dataset.kind || "video",
        circle_id: root.dataset.circleId ? Number(root.dataset.circleId) : null,
        max_seconds: root.dataset.maxSeconds ? Number(root.dataset.maxSeconds) : null,
        purpose: root.dataset.purpose || null,
        purpose_id: root.dataset.purposeId ? Number(root.dataset.purposeId) : null
      };
      var transfer = new uploads.Transfer(this.file, {}, this.hooks());
      this.transfer = transfer;
      // Sent again when no answer came or the server failed; a refusal (400, 413, 429) is shown.
      var result;
      for (var attempt = 1; ; attempt += 1) {
        var failure = null;
        try {
          result = await uploads.requestJSON("POST", root.dataset.createUrl, body, transfer.xhrs);
          if (result.status < 500) { break; }
          failure = result;
        } catch (error) {
          if (error.kind !== "network") { throw error; }
          failure = error;
        }
        await transfer.backoff(attempt, failure);
      }
      if (this.cancelled && result.json && result.json.url) {
        uploads.requestJSON("DELETE", result.json.url).catch(function () { /* expires on its own */ });
      }
      this.guard();
      if (result.status !== 201 || !result.json || !result.json.token) {
        throw new uploads.TransferError("refused", result.status, uploads.errorText(result.json));
      }
      var session = {
        token: result.json.token, url: result.json.url, mode: result.json.mode, media_id: result.json.media_id,
        chunk_size: result.json.chunk_size, part_size: result.json.part_size, saved_at: Date.now()
      };
      h.storeSet(this.key, session);
      this.session = session;
      this.setMedia(session.media_id);
      this.keepInDraft(session.media_id);
      this.emit("upload:state", { id: session.media_id, kind: body.kind, state: "uploading", progress: 0,
        error: null, filename: this.file.name, urls: {} });
      return session;
    }

    async send(session) {
      var self = this;
      this.q(".upload-progress").hidden = false;
      this.sayUploading();
      this.listenEarly();
      this.transfer = new uploads.Transfer(this.file, session, this.hooks());
      var state;
      try {
        state = await this.transfer.run();
      } catch (error) {
        if (error.kind !== "gone" || session.restarted) { throw error; }
        // The server forgot this upload (expired, cancelled elsewhere): start a new one, once.
        h.storeDelete(this.key);
        this.session = null;
        var fresh = await this.create();
        fresh.restarted = true;
        return this.send(fresh);
      }
      h.storeDelete(this.key);
      this.showProgress(this.file.size, this.file.size);
      this.uploaded(state || self.pushed);
    }

    hooks() {
      var self = this;
      return {
        onProgress: function (loaded, total) {
          // Bytes move (or the server answered): any "retrying"/"offline" line is out of date; a
          // "waiting for the connection" line stays until bytes move again (onMoving).
          self.showProgress(loaded, total);
          if (self.lineKind !== "stalled") { self.sayUploading(); }
          if (self.session) { self.emit("upload:progress", { id: self.session.media_id, loaded: loaded, total: total }); }
        },
        onRetry: function (delay) {
          self.quiet();
          self.say(gettext("The connection was interrupted. Trying again in %(seconds)s s; nothing sent so far is lost.",
            { seconds: h.number(Math.max(1, Math.round(delay / 1000)), 0) }));
        },
        onOffline: function () {
          self.quiet();
          self.say(gettext("You are offline. The upload will continue by itself when the connection is back."));
        },
        onOnline: function () { self.sayUploading(); },
        // Nothing moves: an old speed and time left would be a lie ("0 %, 0:08 left" for minutes).
        onStall: function () {
          self.quiet();
          self.say(gettext("Waiting for the connection… Nothing sent so far is lost; the upload continues by itself."),
            false, "stalled");
        },
        onMoving: function () { self.sayUploading(); }
      };
    }

    // Not sending (offline, waiting to retry, stalled, failed): no speed, no time left, and the
    // next speed is measured afresh once bytes move again.
    quiet() {
      this.meter.pause();
      this.meter.speed = 0;
      this.q(".upload-speed").textContent = "";
      this.q(".upload-left").textContent = "";
    }

    // Bytes are moving: "Uploading…", or on a slow but moving link "Uploading… (slow connection)".
    sayUploading() {
      // The speed the server acknowledged when known (a slow link's progress events come in bursts).
      var speed = this.transfer && this.transfer.rate > 0 ? this.transfer.rate : this.meter.speed;
      this.say(uploads.isSlow(speed) ? gettext("Uploading… (slow connection)") : gettext("Uploading…"), false, "uploading");
    }

    showProgress(loaded, total) {
      var fraction = total ? loaded / total : 1;
      var bar = this.q(".upload-bar");
      bar.value = Math.floor(fraction * 100);
      bar.setAttribute("aria-valuetext", gettext("%(done)s of %(total)s (%(percent)s)",
        { done: h.formatBytes(loaded), total: h.formatBytes(total), percent: media.percent(Math.floor(fraction * 100)) }));
      this.q(".upload-percent").textContent = media.percent(Math.floor(fraction * 100));
      this.meter.sample(loaded);
      var speed = this.meter.speed;
      this.q(".upload-size").textContent = loaded < total
        ? gettext("%(done)s of %(total)s", { done: h.formatBytes(loaded), total: h.formatBytes(total) })
        : h.formatBytes(total);
      this.q(".upload-speed").textContent = speed > 0 && loaded < total
        ? gettext("%(size)s/s", { size: h.formatBytes(speed) }) : "";
      this.q(".upload-left").textContent = speed > 0 && loaded < total
        ? gettext("%(time)s left", { time: h.formatLength((total - loaded) / speed, true) }) : "";
    }

    setMedia(mediaId) {
      var widget = this.widget;
      if (!this.input) {
        this.input = document.createElement("input");
        this.input.type = "hidden";
        this.input.name = this.root.dataset.field;
        this.el.appendChild(this.input);
      }
      this.input.value = String(mediaId);
      this.el.dataset.mediaId = String(mediaId);
      widget.changed();
    }

    // Processing may be over before the PATCH that carried the last byte has answered (inline jobs),
    // so pushes are collected from the moment the media id is known.
    listenEarly() {
      var self = this;
      if (this.earlyListener) { return; }
      this.earlyListener = function (event) {
        var state = event.detail;
        if (state && self.session && Number(state.id) === Number(self.session.media_id) && state.state !== "uploading") {
          self.pushed = state;
        }
      };
      document.addEventListener("socket:media_state", this.earlyListener);
    }

    // Every byte is on the server: follow the processing until ready or failed.
    uploaded(state) {
      var self = this;
      if (this.cancelled) { return; }
      if (this.earlyListener) { document.removeEventListener("socket:media_state", this.earlyListener); }
      this.buttons(false, false);
      this.q(".upload-speed").textContent = "";
      this.q(".upload-left").textContent = "";
      this.el.classList.add("is-uploaded");
      var mediaId = this.session.media_id;
      if (state) { this.showState(state); }
      if (state && media.isTerminal(state)) { return; }
      var url = media.stateUrlFor(this.root.dataset.stateUrl, mediaId);
      this.stopFollowing = media.follow(mediaId, url, function (next) { self.showState(next); });
    }

    showState(state) {
      // Same state and same words (percentage, "the server is retrying…"): nothing to show again.
      if (this.lastState && this.lastState.state === state.state &&
          media.stateText(this.root, this.lastState) === media.stateText(this.root, state)) { return; }
      this.lastState = state;
      this.el.dataset.state = state.state;
      this.say(media.stateText(this.root, state), state.state === "failed");
      this.el.classList.toggle("is-ready", state.state === "ready");
      this.el.classList.toggle("is-failed", state.state === "failed");
      this.emit("upload:state", state);
      if (state.state === "ready" && this.root.dataset.preview && Circles.player && state.urls &&
          (state.urls.mp4 || state.urls.hls)) {
        Circles.player.mount(this.q(".upload-preview"), state);
      }
    }

    failed(error) {
      if (error && error.kind === "aborted") { return; }
      var retryable = !error || error.retryable || !(error instanceof uploads.TransferError);
      if (!retryable) {
        // This upload will never finish: its media id must not go out with the form.
        h.storeDelete(this.key);
        if (this.session) { this.emit("upload:cancel", { id: this.session.media_id }); }
        this.session = null;
        if (this.input) { this.input.remove(); this.input = null; this.widget.changed(); }
      }
      this.el.classList.add("is-failed");
      this.quiet();
      this.buttons(retryable, retryable);
      this.say(error && error.serverMessage ? error.serverMessage : retryable
        ? gettext("The upload stopped because the connection keeps failing. Check it, then press “Try again”: it continues where it stopped.")
        : gettext("The server did not accept this upload. Reload the page and choose the file again."), true);
    }

    cancel() {
      var session = this.session;
      this.cancelled = true;
      if (this.transfer) { this.transfer.abort(); }
      if (this.stopFollowing) { this.stopFollowing(); }
      active.delete(this);
      h.storeDelete(this.key);
      if (session && session.url) {
        uploads.requestJSON("DELETE", session.url).catch(function () { /* expires on its own */ });
      }
      if (this.input) { this.input.remove(); this.input = null; }
      this.el.classList.add("is-cancelled");
      this.q(".upload-progress").hidden = true;
      this.buttons(false, false);
      this.say(gettext("Upload cancelled."));
      if (session) { this.emit("upload:cancel", { id: session.media_id }); }
      this.widget.changed();
    }

    // Taken off the page (another file chosen instead): stop sending, keep the upload resumable.
    discard() {
      if (this.transfer) { this.transfer.abort(); }
      if (this.stopFollowing) { this.stopFollowing(); }
      if (this.earlyListener) { document.removeEventListener("socket:media_state", this.earlyListener); }
      active.delete(this);
      this.el.remove();
    }
  }

  // -- the widget --------------------------------------------------------------------------------

  class Widget {
    constructor(root) {
      this.root = root;
      this.input = root.querySelector("input[type=file]");
      this.list = root.querySelector(".uploader-items");
      this.template = root.querySelector("template.uploader-item");
      this.items = [];
      this.unfinished = new Map(); // name|size → the session of an unfinished upload the page showed
      var self = this;
      root.querySelectorAll(".uploader-items > [data-media-id]").forEach(function (el) { self.adopt(el); });
      this.input.addEventListener("change", this.chosen.bind(this));
      root.classList.add("is-enhanced");
      root.circlesUploader = this;
      // a file chosen before this script ran (a slow network) is sent now: it was left unsent, and the form went
      // without it
      if (this.input.files && this.input.files.length) { this.chosen(); }
    }

    chosen() {
      var files = Array.from(this.input.files || []);
      if (!files.length) { return; }
      if (!this.root.hasAttribute("data-multiple")) {
        this.items.forEach(function (item) { item.discard(); });
        this.items = [];
        files = files.slice(0, 1);
      }
      var self = this;
      files.forEach(function (file) {
        // The same file as an unfinished upload the page showed: continue that one (also in a
        // browser that never saw it start), whatever this browser remembers.
        var session = self.unfinished.get(h.sameFileKey(file.name, file.size)) || null;
        var item = new Item(self, file, { session: session });
        self.items.push(item);
        item.start();
      });
      this.input.value = ""; // the same file can be chosen again (to resume after a failure)
    }

    // "Continue" on an unfinished upload of "My uploads": the chosen file must be the same size
    // (the server takes exactly the announced length); the upload resumes at the server's offset.
    continueWith(file, session, list) {
      var item = new Item(this, file, { session: session, list: list });
      this.items.push(item);
      if (file.size !== session.length) {
        item.refuse(gettext("“%(name)s” is not the file this upload was started with (%(size)s, expected %(expected)s). Choose “%(original)s” again.",
          { name: file.name, size: h.formatBytes(file.size), expected: h.formatBytes(session.length), original: session.filename }));
        return item;
      }
      h.storeSet(item.key, Object.assign({ saved_at: Date.now() }, session));
      item.begin();
      return item;
    }

    // An item the page was rendered with (a form shown again, a draft): keep its state line up to
    // date; an unfinished one says what the server holds, and choosing the same file continues it.
    adopt(el) {
      var root = this.root;
      var line = el.querySelector(".upload-state");
      var hint = el.querySelector("[data-upload-resume]");
      var stop = null;
      var session = el.dataset.session ? JSON.parse(el.dataset.session) : null;
      if (session) { this.unfinished.set(h.sameFileKey(session.filename, session.length), session); }
      if (line && el.dataset.state !== "ready" && el.dataset.state !== "failed") {
        var url = media.stateUrlFor(root.dataset.stateUrl, el.dataset.mediaId);
        stop = media.follow(el.dataset.mediaId, url, function (state) {
          el.dataset.state = state.state;
          if (state.upload) {
            var words = h.unfinishedText(state.upload);
            line.textContent = words.state;
            if (hint) { hint.textContent = words.hint; }
          } else {
            line.textContent = media.stateText(root, state);
            if (hint) { hint.remove(); hint = null; }
          }
          line.classList.toggle("error", state.state === "failed");
          root.dispatchEvent(new CustomEvent("upload:state", { detail: state, bubbles: true }));
        });
      }
      this.items.push({ discard: function () { if (stop) { stop(); } el.remove(); } });
    }

    // The set of hidden inputs changed: let forms re-check (they also get upload:state).
    changed() {
      this.root.dispatchEvent(new CustomEvent("upload:change", { bubbles: true }));
    }
  }

  window.addEventListener("beforeunload", function (event) {
    if (active.size) {
      event.preventDefault();
      event.returnValue = ""; // the browser shows its own words; the upload can resume later anyway
    }
  });

  // "My uploads": each unfinished upload's "Continue" picks the file and sends the rest through the
  // page's uploader, shown in the upload's own card; its state line follows what the server holds.
  function bindUnfinished(box) {
    var widget = document.querySelector("[data-uploader]");
    widget = widget && widget.circlesUploader;
    if (!widget || box.dataset.bound) { return; }
    box.dataset.bound = "1";
    var session = JSON.parse(box.dataset.session);
    var button = box.querySelector("[data-upload-continue]");
    var input = box.querySelector("[data-upload-continue-input]");
    var line = box.querySelector("[data-unfinished-state]");
    var hint = box.querySelector("[data-unfinished-hint]");
    var stop = media.follow(session.media_id, media.stateUrlFor(widget.root.dataset.stateUrl, session.media_id), function (state) {
      if (!state.upload) { return; }
      var words = h.unfinishedText(state.upload);
      line.textContent = words.state;
      hint.textContent = words.hint;
    });
    button.hidden = false;
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      input.value = "";
      if (!file) { return; }
      stop();
      line.hidden = true;
      hint.hidden = true;
      button.hidden = true;
      // Sending now: the item has its own "Cancel"; a finished upload is no longer deleted from here.
      box.querySelectorAll("form").forEach(function (form) { form.style.display = "none"; }); // form.inline outranks [hidden]
      Array.from(box.querySelectorAll(".uploader-items > *")).forEach(function (el) { el.remove(); });
      var item = widget.continueWith(file, session, box.querySelector(".uploader-items"));
      if (item && item.el.classList.contains("is-refused")) {
        button.hidden = false;
        box.querySelectorAll("form").forEach(function (form) { form.style.display = ""; });
      }
    });
  }

  function init() {
    h.prune();
    document.querySelectorAll("[data-uploader]").forEach(function (root) {
      if (!root.circlesUploader) { new Widget(root); }
    });
    document.querySelectorAll("[data-upload-unfinished]").forEach(bindUnfinished);
  }

  uploads.init = init;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
