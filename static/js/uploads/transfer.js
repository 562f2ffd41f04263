// The upload protocol's client (see lms/uploads): moves a File's bytes to the server, resumably.
//
// Two modes, chosen by the server: "chunks" (HEAD/PATCH with Upload-Offset through the app) and "s3"
// (PUT each part to a presigned URL, a few at a time, then complete). XMLHttpRequest is used for the
// bodies because only it reports upload progress byte by byte. Network errors, 5xx and 429 are
// retried with exponential back-off; while the browser is offline it waits for the `online` event.
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
    // hooks: onProgress(loaded, total), onRetry(delayMs, attempt), onOffline(), onOnline().
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

    // -- chunks mode -------------------------------------------------------------------------------

    async serverOffset() {
      var url = this.session.url;
      var xhrs = this.xhrs;
      var result = await this.retrying(function () { return send("HEAD", url, {}, xhrs); });
      if (result.status !== 200) { throw this.refusal(result); }
      var offset = parseInt(result.header("Upload-Offset"), 10);
      if (!(offset >= 0)) { throw new TransferError("refused", result.status); }
      return offset;
    }

    async runChunks() {
      var self = this;
      var size = this.file.size;
      var chunk = Math.max(1, this.session.chunk_size || 8 * 1024 * 1024);
      var offset = await this.serverOffset();
      var failures = 0;
      this.progress(offset);
      while (offset < size) {
        this.checkAborted();
        var start = offset;
        var end = Math.min(start + chunk, size);
        var result;
        try {
          result = await send("PATCH", this.session.url, {
            headers: {
              "Upload-Offset": String(start),
              "Content-Type": "application/offset+octet-stream",
              "Accept": "application/json",
              "X-CSRFToken": csrfToken()
            },
            body: this.file.slice(start, end),
            onProgress: function (loaded) { self.progress(start + loaded); }
          }, this.xhrs);
        } catch (error) {
          if (error.kind !== "network") { throw error; }
          failures += 1;
          await this.backoff(failures, error);
          offset = await this.serverOffset(); // part of the body may have landed
          this.progress(offset);
          continue;
        }
        if (result.status === 204 || result.status === 200) {
          var next = parseInt(result.header("Upload-Offset"), 10);
          offset = next >= 0 ? next : end;
          failures = 0;
        } else if (result.status === 409) {
          offset = result.json && result.json.offset >= 0 ? result.json.offset : await this.serverOffset();
        } else if (isRetryableStatus(result.status)) {
          failures += 1;
          await this.backoff(failures, result);
          offset = await this.serverOffset();
        } else {
          throw this.refusal(result);
        }
        this.progress(offset);
      }
      return null;
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

  uploads.Transfer = Transfer;
  uploads.TransferError = TransferError;
  uploads.requestJSON = requestJSON;
  uploads.errorText = errorText;
  uploads.csrfToken = csrfToken;
})();
