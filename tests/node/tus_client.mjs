// Drives tus-js-client (what Uppy's Tus plugin runs) against a real Circles server for
// tests/uploads/test_tus_clients.py. Reads {endpoint, cookie, csrf, file, scenario} as JSON on
// stdin; prints one JSON line with what happened.
import { readFileSync } from "node:fs";
import * as tus from "tus-js-client";

const input = JSON.parse(readFileSync(0, "utf8"));
const data = readFileSync(input.file);
const headers = { Cookie: input.cookie, "X-CSRFToken": input.csrf };

function options(extra = {}) {
  return {
    endpoint: input.endpoint,
    headers,
    chunkSize: 100_000,
    retryDelays: null,
    removeFingerprintOnSuccess: true,
    metadata: { filename: "dance 舞.mp4", filetype: "video/mp4", kind: "file" },
    ...extra,
  };
}

function run(upload) {
  return new Promise((resolve, reject) => {
    upload.options.onSuccess = () => resolve(upload.url);
    upload.options.onError = reject;
    upload.start();
  });
}

async function chunks() {
  const statuses = [];
  const upload = new tus.Upload(data, options({
    uploadDataDuringCreation: true,
    onAfterResponse: (req, res) => { statuses.push([req.getMethod(), res.getStatus(), res.getHeader("Tus-Resumable")]); },
  }));
  const url = await run(upload);
  return { url, statuses };
}

async function resume() {
  // Stop after the first chunk, as a closed laptop would; then a new Upload with the URL resumes.
  let url;
  await new Promise((resolve, reject) => {
    const first = new tus.Upload(data, options({
      onChunkComplete: (size, sent) => {
        if (sent >= 200_000) { url = first.url; first.abort().then(resolve, reject); }
      },
      onError: reject,
    }));
    first.start();
  });
  const heads = [];
  const second = new tus.Upload(data, options({
    uploadUrl: url,
    overridePatchMethod: true,
    onAfterResponse: (req, res) => {
      if (req.getMethod() === "HEAD") heads.push(Number(res.getHeader("Upload-Offset")));
      if (req.getMethod() === "POST") heads.push(`POST ${req.getHeader("X-HTTP-Method-Override")} ${res.getStatus()}`);
    },
  }));
  await run(second);
  return { url, heads };
}

async function checksum() {
  const upload = new tus.Upload(data, options({
    onBeforeRequest: (req) => {
      if (req.getMethod() === "PATCH") req.setHeader("Upload-Checksum", "sha1 " + Buffer.alloc(20).toString("base64"));
    },
  }));
  try {
    await run(upload);
    return { url: upload.url, status: "accepted" };
  } catch (error) {
    return { url: upload.url, status: error.originalResponse ? error.originalResponse.getStatus() : String(error) };
  }
}

async function terminate() {
  let url;
  await new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, options({
      onChunkComplete: () => { url = upload.url; upload.abort(true).then(resolve, reject); },
      onError: reject,
    }));
    upload.start();
  });
  return { url };
}

async function resumeAt() {
  // A phone app resuming an upload it made earlier (input.url), retries on as tus-js-client ships
  // them: every request is recorded; the run ends in success or in the error onError was given.
  const requests = [];
  const upload = new tus.Upload(data, options({
    uploadUrl: input.url,
    endpoint: null,
    retryDelays: [0, 100, 200],
    metadata: {},
    onAfterResponse: (req, res) => { requests.push([req.getMethod(), res.getStatus()]); },
  }));
  try {
    await run(upload);
    return { requests, ok: true };
  } catch (error) {
    const res = error.originalResponse;
    return { requests, ok: false, status: res ? res.getStatus() : null, body: res ? res.getBody() : null,
             message: String(error) };
  }
}

const scenarios = { chunks, resume, checksum, terminate, resume_at: resumeAt };
scenarios[input.scenario]().then(
  (result) => { console.log(JSON.stringify(result)); },
  (error) => { console.log(JSON.stringify({ error: String(error) })); process.exitCode = 1; },
);
