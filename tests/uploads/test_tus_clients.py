"""Standard tus clients, unchanged, against the app under a real server with a session cookie:
tuspy (Python) and tus-js-client under Node (what Uppy's Tus plugin runs). On CI a missing Node
fails the run; locally it skips."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess

import pytest
import requests

from tests.fixtures.live import ROOT, LiveServer, cookie_header, sign_up_first_user
from tests.fixtures.services import require_service

NODE_DIR = ROOT / "tests" / "node"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tus-clients")
    live = LiveServer({
        "LMS_SECRET_KEY": "tus-clients-secret",
        "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}",
        "LMS_STORAGE_ROOT": str(folder / "storage"),
        "LMS_UPLOAD_DIR": str(folder / "uploads"),
        "LMS_RATELIMIT_ENABLED": "false",
    })
    try:
        session, csrf = sign_up_first_user(live.url)
        yield live.url, session, csrf
    finally:
        live.stop()


def _download(base: str, session: requests.Session, url: str) -> bytes:
    """The stored bytes of the upload at `url`, through the owner's signed download URL."""
    media_id = requests.head(base + url, headers={"Tus-Resumable": "1.0.0", "Cookie": cookie_header(session)},
                             timeout=30).headers["Upload-Metadata"]
    from lms.uploads.tus import parse_metadata

    state = session.get(f"{base}/media/{parse_metadata(media_id)['media_id']}/state", timeout=30).json()
    assert state["state"] == "ready", state
    return session.get(base + state["urls"]["download"], timeout=30).content


# -- tuspy -------------------------------------------------------------------------------------

def _tuspy_client(base, session, csrf):
    from tusclient.client import TusClient

    return TusClient(f"{base}/uploads", headers={"Cookie": cookie_header(session), "X-CSRFToken": csrf})


def test_tuspy_uploads_in_chunks_with_checksums_and_resumes(server):
    """Does tuspy create an upload (metadata, checksums on), stop half way, and finish it from a
    new uploader that resumes by HEAD, ending byte for byte equal?"""
    base, session, csrf = server
    data = os.urandom(700_000)
    client = _tuspy_client(base, session, csrf)
    first = client.uploader(file_stream=io.BytesIO(data), chunk_size=150_000, upload_checksum=True,
                            metadata={"filename": "essay.pdf", "kind": "file"})
    first.upload(stop_at=300_000)
    assert first.offset == 300_000

    resumed = client.uploader(file_stream=io.BytesIO(data), url=first.url, chunk_size=150_000, upload_checksum=True)
    assert resumed.offset == 300_000  # asked the server with HEAD
    resumed.upload()
    assert resumed.offset == len(data)
    assert _download(base, session, first.url.removeprefix(base)) == data


def test_tuspy_wrong_checksum_is_refused_with_460(server):
    base, session, csrf = server
    from tusclient.exceptions import TusUploadFailed
    from tusclient.uploader import Uploader

    class Corrupting(Uploader):
        CHECKSUM_ALGORITHM_PAIR = ("sha1", lambda chunk: hashlib.sha1(b"not " + chunk))

    data = os.urandom(200_000)
    uploader = Corrupting(file_stream=io.BytesIO(data), client=_tuspy_client(base, session, csrf), chunk_size=100_000,
                          upload_checksum=True, metadata={"filename": "x.bin", "kind": "file"})
    with pytest.raises(TusUploadFailed) as failed:
        uploader.upload()
    assert failed.value.status_code == 460
    head = requests.head(uploader.url, headers={"Tus-Resumable": "1.0.0", "Cookie": cookie_header(session)}, timeout=30)
    assert head.headers["Upload-Offset"] == "0"  # the damaged chunk was not kept


def test_tuspy_termination(server):
    base, session, csrf = server
    data = os.urandom(100_000)
    uploader = _tuspy_client(base, session, csrf).uploader(file_stream=io.BytesIO(data), chunk_size=40_000,
                                                           metadata={"filename": "x.bin", "kind": "file"})
    uploader.upload(stop_at=40_000)
    headers = {"Tus-Resumable": "1.0.0", "Cookie": cookie_header(session), "X-CSRFToken": csrf}
    assert requests.delete(uploader.url, headers=headers, timeout=30).status_code == 204
    assert requests.head(uploader.url, headers=headers, timeout=30).status_code == 404


# -- tus-js-client under Node ----------------------------------------------------------------

def _node(server, scenario: str, data: bytes, tmp_path) -> dict:
    node = shutil.which("node")
    installed = (NODE_DIR / "node_modules" / "tus-js-client" / "package.json").exists()
    require_service("Node with tus-js-client", bool(node) and installed,
                    "node is not installed or tests/node/node_modules is missing (run scripts/setup)")
    base, session, csrf = server
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    request = {"endpoint": f"{base}/uploads", "cookie": cookie_header(session), "csrf": csrf, "file": str(path),
               "scenario": scenario}
    done = subprocess.run([node, str(NODE_DIR / "tus_client.mjs")], input=json.dumps(request), text=True,
                          capture_output=True, cwd=NODE_DIR, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tus_js_client_creates_with_upload_and_sends_chunks(server, tmp_path):
    """Does tus-js-client (Uppy's engine) create the upload with its first chunk in the POST, send
    the rest in PATCH chunks, and see Tus-Resumable on every answer?"""
    base, session, _ = server
    data = os.urandom(450_000)
    result = _node(server, "chunks", data, tmp_path)
    methods = [m for m, _, _ in result["statuses"]]
    assert methods[0] == "POST" and methods.count("PATCH") == 4  # 100 kB in the POST, then 4 chunks
    assert all(version == "1.0.0" for _, _, version in result["statuses"])
    assert _download(base, session, result["url"].removeprefix(base)) == data


def test_tus_js_client_resumes_an_interrupted_upload_with_method_override(server, tmp_path):
    base, session, _ = server
    data = os.urandom(500_000)
    result = _node(server, "resume", data, tmp_path)
    assert result["heads"][0] == 200_000  # resumed from what the server held
    assert any(str(h).startswith("POST PATCH 204") for h in result["heads"])
    assert _download(base, session, result["url"].removeprefix(base)) == data


def test_tus_js_client_wrong_checksum_gets_460(server, tmp_path):
    base, session, _ = server
    result = _node(server, "checksum", os.urandom(150_000), tmp_path)
    assert result["status"] == 460


def test_tus_js_client_terminates(server, tmp_path):
    base, session, _ = server
    result = _node(server, "terminate", os.urandom(300_000), tmp_path)
    head = requests.head(result["url"], headers={"Tus-Resumable": "1.0.0", "Cookie": cookie_header(session)}, timeout=30)
    assert head.status_code == 404
