// The upload protocol's client (see lms/uploads): moves a File's bytes to the server, resumably.
//
// Two modes, chosen by the server: "chunks" (tus 1.0 HEAD/PATCH through the app, sent by the vendored
// tus-js-client, static/vendor/tus-js-client) and "s3" (PUT each part to a presigned URL, a few at a
// time, then complete; XMLHttpRequest, the only API that reports upload progress byte by byte).
// Network errors, 5xx and 429 are retried with exponential back-off; while the browser is offline it
// waits for the `online` event.
(function () {
  "use strict";
  var Circles = window.Circles = window.Circles || {};
  var uploads = Circles.uploads = Circles.uploads || {};

  var MAX_ATTEMPTS = 8; // consecutive failures before giving up (about two minutes of trying)
  var MAX_DELAY_MS = 30000;
  var PARALLEL_PARTS = 3;
  var URL_BATCH = 6; // presigned URLs asked for at once; they expire, so never all of them

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // The server answers {"error": "sentence"}; generic error pages answer {"error": {"message"}}.
  function errorText(json) {
    if (!json || !json.error) { return ""; }
    return typeof json.error === "string" ? json.error : (json.error.message || "");
  }

  class TransferError extends Error {
    constructor(kind, status, message) {
      super(message || kind);
      this.kind = kind; // "aborted" | "network" | "gone" | "refused"
      this.status = status || 0;
      this.serverMessage = message || "";
    }
    // Worth a "Try again" button (resume) rather than choosing the file again.
    get retryable() { return this.kind === "network"; }
  }

  // Chunks mode: the chunk size aimed at (a chunk takes about CHUNK_SECONDS at the measured speed,
  // well inside a server's request timeout), its bounds, and when a silent request counts as dead.
  var MIN_CHUNK = 256 * 1024;
  var MAX_CHUNK = 64 * 1024 * 1024; // the server's chunk_size is the ceiling; this only bounds a wrong one
  var CHUNK_SECONDS = 7.5;
  // "Waiting for the connection" is decided over a window long enough for the chunk under way at the
  // measured speed, not a fixed few seconds: on a slow link the browser hands the body over a socket
  // buffer at a time (at 2 KB/s one progress event every 8 s or more) and the server's
  // acknowledgement comes once the last buffer has crossed. So the window is 1.5 × the time the
  // chunk needs at the speed the server acknowledged (FIRST_ACK_MS before any chunk was), never less
  // than STALL_MS or twice the longest gap seen between progress events, at most MAX_STALL_MS.
  var STALL_MS = 4000;
  var FIRST_ACK_MS = 30000;
  var MAX_STALL_MS = 120000;
  var DEAD_MS = 30000; // no byte moved this long past the stall window: the request is dropped and a new one sent (the server lets the newest request win)
  var SLOW_BYTES_PER_S = 32 * 1024; // below this the page says the connection is slow

  // How long a silence means nothing moves. `chunk`: bytes of the PATCH under way; `ackRate`:
  // bytes/s the server acknowledged (0: none yet); `longestGap`: the longest gap seen between two
  // progress events of this run.
  function stallWindow(chunk, ackRate, longestGap) {
    var ms = ackRate > 0 ? 1500 * chunk / ackRate : FIRST_ACK_MS;
    return Math.min(MAX_STALL_MS, Math.max(ms, STALL_MS, 2 * (longestGap || 0)));
  }

  // The largest power of two from the floor (MIN_CHUNK, or the server's size if smaller) up to
  // `ceiling` that `speed` (bytes/s) sends in CHUNK_SECONDS.
  function chunkFor(speed, ceiling) {
    var size = Math.min(MIN_CHUNK, ceiling);
    while (size * 2 <= ceiling && size * 2 <= speed * CHUNK_SECONDS) { size *= 2; }
    return size;
  }

  // A tus-js-client error as ours: no answer or a passing refusal (409 offset or busy, 423, 429,
  // 5xx) is retried; 404/410 mean the server forgot the upload; other answers are final, with the
  // server's sentence (403: what the upload is for takes no more, e.g. the assignment closed while
  // it was sending; JSON for us, plain text for other tus clients).
  function tusError(error) {
    var response = error && error.originalResponse;
    var status = response ? response.getStatus() : 0;
    if (!response) {
      // No answer: the network, or (no request at all) a bug or an unreadable file.
      return error && error.originalRequest ? new TransferError("network", 0) : new TransferError("refused", 0, "");
    }
    if (status === 409 || status === 423 || isRetryableStatus(status)) { return new TransferError("network", status); }
    var kind = status === 404 || status === 410 ? "gone" : "refused";
    var body = response.getBody();
    return new TransferError(kind, status, errorText(parseJSON(body)) || plainText(response, body));
  }

  // A short plain-text answer's sentence (never an HTML page's markup), else "".
  function plainText(response, body) {
    var type = (response.getHeader("Content-Type") || "").toLowerCase();
    return type.indexOf("text/plain") === 0 && typeof body === "string" ? body.trim().slice(0, 500) : "";
  }

  function isRetryableStatus(status) {
    return status === 0 || status === 429 || status >= 500;
  }

  function parseJSON(text) {
    try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  // One HTTP request through XHR. Resolves with {status, json, header()} whatever the status;
  // rejects only when no answer came (network) or it was aborted.
  function send(method, url, options, registry) {
    options = options || {};
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      var headers = options.headers || {};
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (options.onProgress) {
        xhr.upload.addEventListener("progress", function (event) { options.onProgress(event.loaded); });
      }
      var finish = function () { if (registry) { registry.delete(xhr); } };
      xhr.addEventListener("load", function () {
        finish();
        resolve({
          status: xhr.status,
          json: parseJSON(xhr.responseText),
          header: function (name) { return xhr.getResponseHeader(name); }
        });
      });
      xhr.addEventListener("error", function () { finish(); reject(new TransferError("network", 0)); });
      xhr.addEventListener("timeout", function () { finish(); reject(new TransferError("network", 0)); });
      xhr.addEventListener("abort", function () { finish(); reject(new TransferError("aborted", 0)); });
      if (registry) { registry.add(xhr); }
      xhr.send(options.body === undefined ? null : options.body);
    });
  }

  // A JSON request to the app (CSRF header, JSON errors). Same resolve/reject rules as send().
  function requestJSON(method, url, body, registry) {
    var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return send(method, url, { headers: headers, body: body === undefined ? undefined : JSON.stringify(body) },
      registry);
  }

  class Transfer {
    // session: the answer of POST /uploads ({token, url, mode, chunk_size, part_size, media_id}).
    // hooks: onProgress(loaded, total), onRetry(delayMs, attempt), onOffline(), onOnline(),
    // onStall() (no byte moved over the stall window), onMoving() (bytes move again after a stall).
    constructor(file, session, hooks) {
      this.file = file;
      this.session = session;
      this.hooks = hooks || {};
      this.xhrs = new Set();
      this.sleepers = new Set();
      this.aborted = false;
    }

    // Sends every missing byte. Resolves with the media state JSON when the server returned one
    // (s3 "complete"), else null; rejects with a TransferError.
    run() {
      return this.session.mode === "s3" ? this.runParts() : this.runChunks();
    }

    abort() {
      this.aborted = true;
      if (this.stopTus) { this.stopTus(); }
      this.stopRequests();
      this.sleepers.forEach(function (wake) { wake(); });
    }

    stopRequests() {
      Array.from(this.xhrs).forEach(function (xhr) { xhr.abort(); });
    }

    progress(loaded) {
      if (this.hooks.onProgress) { this.hooks.onProgress(Math.min(loaded, this.file.size), this.file.size); }
    }

    checkAborted() {
      if (this.aborted) { throw new TransferError("aborted", 0); }
    }

    sleep(ms) {
      var self = this;
      return new Promise(function (resolve) {
        var wake = function () { clearTimeout(timer); self.sleepers.delete(wake); resolve(); };
        var timer = setTimeout(wake, ms);
        self.sleepers.add(wake);
      });
    }

    waitOnline() {
      var self = this;
      if (navigator.onLine !== false) { return Promise.resolve(); }
      if (self.hooks.onOffline) { self.hooks.onOffline(); }
      return new Promise(function (resolve) {
        var wake = function () {
          window.removeEventListener("online", wake);
          self.sleepers.delete(wake);
          if (!self.aborted && self.hooks.onOnline) { self.hooks.onOnline(); }
          resolve();
        };
        window.addEventListener("online", wake);
        self.sleepers.add(wake);
      });
    }

    // Waits before attempt number `attempt` (1, 2, ...): 1 s, 2 s, 4 s ... up to 30 s, ±25 %,
    // honouring Retry-After; gives up after MAX_ATTEMPTS. Offline time does not count.
    async backoff(attempt, failure) {
      this.checkAborted();
      if (attempt > MAX_ATTEMPTS) {
        throw failure instanceof TransferError ? failure : new TransferError("network", failure && failure.status);
      }
      if (navigator.onLine === false) {
        await this.waitOnline();
      } else {
        var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempt - 1));
        var after = failure && failure.header && parseInt(failure.header("Retry-After"), 10);
        if (after > 0) { delay = Math.min(MAX_DELAY_MS * 2, after * 1000); }
        delay = Math.round(delay * (0.75 + Math.random() * 0.5));
        if (this.hooks.onRetry) { this.hooks.onRetry(delay, attempt); }
        await this.sleep(delay);
        await this.waitOnline(); // went offline while waiting
      }
      this.checkAborted();
    }

    // Calls `attemptOnce` until it answers with a status that is not worth retrying.
    async retrying(attemptOnce) {
      for (var attempt = 1; ; attempt += 1) {
        this.checkAborted();
        var result;
        try {
          result = await attemptOnce();
        } catch (error) {
          if (!(error instanceof TransferError) || error.kind !== "network") { throw error; }
          await this.backoff(attempt, error);
          continue;
        }
        if (!isRetryableStatus(result.status)) { return result; }
        await this.backoff(attempt, new TransferError("network", result.status, errorText(result.json)));
      }
    }

    refusal(result) {
      var kind = result.status === 404 || result.status === 410 ? "gone" : "refused";
      return new TransferError(kind, result.status, errorText(result.json));
    }

    // -- chunks mode: tus-js-client on the upload's URL ----------------------------------------------
    //
    // The upload is created by our JSON POST (it answers the media id and the mode); tus-js-client
    // then resumes it by URL: HEAD for the server's offset, PATCH chunk after chunk. Its own retries
    // are off (retryDelays: null) so that one loop here decides: back-off, waiting for `online`,
    // "waiting for the connection" while no byte moves, and a new request when one is dead.
    //
    // tus-js-client sends a fixed options.chunkSize; the next PATCH reads it again, so after each
    // chunk it is set from the measured speed (a chunk of about CHUNK_SECONDS, a power of two
    // between MIN_CHUNK and the server's chunk size). A chunk far too big for a link that slowed
    // down is cut and the upload resumes with a smaller one (the server keeps what it received).

    async runChunks() {
      var ceiling = Math.max(1, Math.min(MAX_CHUNK, this.session.chunk_size || MAX_CHUNK));
      this.chunk = this.chunk || Math.min(MIN_CHUNK, ceiling);
      var failures = 0;
      for (;;) {
        this.checkAborted();
        var before = this.sent || 0;
        try {
          await this.tusOnce(ceiling);
          return null;
        } catch (error) {
          if (!(error instanceof TransferError)) { throw error; }
          if (error.kind === "resize") { failures = 0; continue; }
          if (!error.retryable) { throw error; }
          failures = (this.sent || 0) > before ? 1 : failures + 1; // bytes moved: a fresh series
          await this.backoff(failures, error);
        }
      }
    }

    // One tus.Upload run, from the server's offset until the last byte or the first failure.
    tusOnce(ceiling) {
      var self = this;
      var tus = window.tus;
      if (!tus || !tus.Upload) { return Promise.reject(new TransferError("refused", 0)); }
      return new Promise(function (resolve, reject) {
        var settled = false;
        var chunkStarted = performance.now();
        var chunkFrom = null; // the offset the PATCH under way started at
        var lastMoved = performance.now();
        var stalled = false;
        var longestGap = 0;
        var upload;
        var finish = function (error) {
          if (settled) { return; }
          settled = true;
          clearInterval(watch);
          window.removeEventListener("offline", offline);
          self.stopTus = null;
          if (error) {
            if (upload) { upload.abort(false); }
            reject(error);
          } else {
            resolve();
          }
        };
        var offline = function () { finish(new TransferError("network", 0)); };
        // Every second: say so when no byte has moved for STALL_MS; give up on a request silent for
        // DEAD_MS (its socket may stay open for minutes) and send a new one; cut a chunk that the
        // measured speed will not carry in time.
        var watch = setInterval(function () {
          var now = performance.now();
          var quiet = stallWindow(upload.options.chunkSize, self.rate || 0, longestGap);
          if (!stalled && now - lastMoved > quiet) {
            stalled = true;
            if (self.hooks.onStall) { self.hooks.onStall(); }
          }
          if (now - lastMoved > quiet + DEAD_MS) { finish(new TransferError("network", 0)); return; }
          var elapsed = (now - chunkStarted) / 1000;
          if (chunkFrom !== null && elapsed > 3 * CHUNK_SECONDS && upload.options.chunkSize > Math.min(MIN_CHUNK, ceiling)) {
            var smaller = chunkFor(((self.sent || 0) - chunkFrom) / elapsed, ceiling);
            if (smaller * 2 <= upload.options.chunkSize) {
              self.chunk = smaller;
              finish(new TransferError("resize", 0));
            }
          }
        }, 1000);
        window.addEventListener("offline", offline);
        self.stopTus = function () { finish(new TransferError("aborted", 0)); };
        upload = new tus.Upload(self.file, {
          uploadUrl: self.session.url,
          chunkSize: self.chunk,
          retryDelays: null, // one retry loop: runChunks
          storeFingerprintForResuming: false, // uploader.js keeps the session (with its media id)
          removeFingerprintOnSuccess: false,
          headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
          onProgress: function (sent) {
            if (chunkFrom === null) { chunkFrom = sent; chunkStarted = performance.now(); } // after the HEAD
            if (sent > (self.sent || 0)) {
              longestGap = Math.max(longestGap, performance.now() - lastMoved);
              lastMoved = performance.now();
              if (stalled && self.hooks.onMoving) { self.hooks.onMoving(); }
              stalled = false;
            }
            self.sent = sent;
            self.progress(sent);
          },
          onChunkComplete: function (size, accepted) {
            var seconds = Math.max(0.05, (performance.now() - chunkStarted) / 1000);
            var rate = size / seconds;
            self.rate = self.rate ? self.rate * 0.5 + rate * 0.5 : rate;
            self.chunk = chunkFor(self.rate, ceiling);
            upload.options.chunkSize = self.chunk; // read again for the next PATCH
            chunkFrom = accepted;
            chunkStarted = performance.now();
            lastMoved = chunkStarted; // the acknowledgement is the surest sign that bytes move
            if (stalled && self.hooks.onMoving) { self.hooks.onMoving(); }
            stalled = false;
          },
          onSuccess: function () { finish(null); },
          onError: function (error) { finish(tusError(error)); }
        });
        upload.start();
      });
    }

    // -- s3 mode -----------------------------------------------------------------------------------

    async runParts() {
      for (var round = 1; round <= 3; round += 1) {
        await this.sendMissingParts();
        var xhrs = this.xhrs;
        var url = this.session.url + "/complete";
        var result = await this.retrying(function () { return requestJSON("POST", url, {}, xhrs); });
        if (result.status === 200) { return result.json; }
        if (result.status !== 409) { throw this.refusal(result); }
        // 409: the bucket is missing a part after all (lost PUT): list again and send it.
      }
      throw new TransferError("refused", 409);
    }

    async sendMissingParts() {
      var self = this;
      var url = this.session.url;
      var listing = await this.retrying(function () { return requestJSON("GET", url + "/parts", undefined, self.xhrs); });
      if (listing.status !== 200 || !listing.json) { throw this.refusal(listing); }
      var partSize = listing.json.part_size || this.session.part_size;
      var length = this.file.size;
      var count = Math.max(1, Math.ceil(length / partSize));
      var have = new Set();
      var confirmed = 0;
      (listing.json.parts || []).forEach(function (part) {
        have.add(part.number);
        confirmed += part.size || 0;
      });
      var queue = [];
      for (var n = 1; n <= count; n += 1) { if (!have.has(n)) { queue.push(n); } }
      var inflight = new Map();
      var urls = new Map();
      var report = function () {
        var moving = 0;
        inflight.forEach(function (loaded) { moving += loaded; });
        self.progress(confirmed + moving);
      };
      report();

      var fetchUrls = async function (first) {
        var numbers = [first].concat(queue.filter(function (m) { return !urls.has(m); }).slice(0, URL_BATCH - 1));
        var result = await self.retrying(function () {
          return requestJSON("POST", url + "/parts", { numbers: numbers }, self.xhrs);
        });
        if (result.status !== 200 || !result.json || !result.json.urls) { throw self.refusal(result); }
        Object.keys(result.json.urls).forEach(function (key) { urls.set(Number(key), result.json.urls[key]); });
        if (!urls.has(first)) { throw new TransferError("refused", result.status); }
      };

      var putPart = async function (number) {
        var start = (number - 1) * partSize;
        var end = Math.min(start + partSize, length);
        for (var attempt = 1; ; attempt += 1) {
          self.checkAborted();
          if (!urls.has(number)) { await fetchUrls(number); }
          var failure = null;
          try {
            var result = await send("PUT", urls.get(number), {
              body: self.file.slice(start, end),
              onProgress: function (loaded) { inflight.set(number, loaded); report(); }
            }, self.xhrs);
            if (result.status >= 200 && result.status < 300) {
              inflight.delete(number);
              confirmed += end - start;
              report();
              return;
            }
            failure = result;
            // 400/403: the URL expired or its signature no longer holds: ask for a new one.
            if (result.status === 400 || result.status === 403) { urls.delete(number); }
            else if (!isRetryableStatus(result.status)) { throw self.refusal(result); }
          } catch (error) {
            if (!(error instanceof TransferError) || error.kind !== "network") { throw error; }
            failure = error;
          }
          inflight.delete(number);
          report();
          await self.backoff(attempt, failure);
        }
      };

      var worker = async function () {
        while (queue.length) {
          await putPart(queue.shift());
        }
      };
      var workers = [];
      for (var w = 0; w < Math.min(PARALLEL_PARTS, queue.length); w += 1) { workers.push(worker()); }
      try {
        await Promise.all(workers);
      } catch (error) {
        queue.length = 0; // the other workers stop after their current part...
        this.stopRequests(); // ...which is cut short
        throw error;
      }
    }
  }

  // Whether `speed` (bytes/s) is a slow connection's: the page says so next to "Uploading…".
  uploads.isSlow = function (speed) { return speed > 0 && speed < SLOW_BYTES_PER_S; };
  uploads.stallWindow = stallWindow;
  uploads.Transfer = Transfer;
  uploads.TransferError = TransferError;
  uploads.requestJSON = requestJSON;
  uploads.errorText = errorText;
  uploads.csrfToken = csrfToken;
})();
