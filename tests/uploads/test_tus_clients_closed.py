"""Standard tus clients, unchanged, resuming an assignment's upload after the assignment closed for
the student: tuspy and tus-js-client (under Node, with its own retries on) are refused at the first
PATCH with the reason and send nothing more; after an extension they finish; a student removed from
the circle is refused. The app is served by a real server (Werkzeug's, in a thread) over HTTP."""
from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import threading

import pytest
import requests

from lms.circles.models import Membership
from lms.circles.operations.membership import remove_member
from lms.core.serving import make_embedded_server
from lms.extensions import db
from lms.homework import operations as hw_ops
from lms.homework.models import Assignment
from tests.fixtures.homework import ago, later
from tests.fixtures.services import require_service
from tests.uploads.test_tus_clients import NODE_DIR

CHUNK = 100_000
DATA = os.urandom(500_000)
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def served(app):
    server = make_embedded_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def phone(served, klass, client_as, hw):
    """The student's phone: signed in (its cookie and CSRF token) and holding an upload for an open
    assignment with its first chunk sent."""
    assignment = hw.assignment(klass.circle, title="Solo dance", due_at=later(days=1))
    client = client_as(klass.student)
    csrf = client.csrf_token()
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    headers = {"Cookie": f"{cookie.key}={cookie.value}", "X-CSRFToken": csrf}
    meta = {"filename": "dance.bin", "kind": "file", "purpose": "assignment", "purpose_id": str(assignment.id)}
    created = requests.post(f"{served}/uploads", timeout=30, data=DATA[:CHUNK], headers={
        **TUS, **headers, "Upload-Length": str(len(DATA)), "Content-Type": "application/offset+octet-stream",
        "Upload-Metadata": ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())})
    assert created.status_code == 201, created.text
    assert created.headers["Upload-Offset"] == str(CHUNK)
    return {"base": served, "url": served + created.headers["Location"], "headers": headers,
            "assignment": assignment, "klass": klass}


def _close(phone) -> None:
    assignment = db.session.get(Assignment, phone["assignment"].id)
    assignment.due_at, assignment.closes_at = ago(minutes=10), ago(minutes=1)
    db.session.commit()


def _extend(phone) -> None:
    klass = phone["klass"]
    hw_ops.grant_extension(db.session.get(Assignment, phone["assignment"].id), [klass.student], klass.teacher,
                           due_at=later(days=1), closes_at=later(days=2))
    db.session.commit()


def _remove_student(phone) -> None:
    klass = phone["klass"]
    membership = db.session.scalar(db.select(Membership).where(
        Membership.circle_id == klass.circle.id, Membership.user_id == klass.student.id))
    remove_member(membership, klass.teacher)
    db.session.commit()


def _offset(phone) -> int:
    head = requests.head(phone["url"], headers={**TUS, **phone["headers"]}, timeout=30)
    assert head.status_code == 200
    return int(head.headers["Upload-Offset"])


# -- tuspy -------------------------------------------------------------------------------------

def _tuspy_resume(phone, monkeypatch):
    """Resume with tuspy as an app would (its defaults: no retries; with retries it tries any failure
    again, whatever the status); returns (uploader, the sizes of the PATCHes sent, the failure or None)."""
    import tusclient.request
    from tusclient.client import TusClient
    from tusclient.exceptions import TusUploadFailed

    sent = []
    real_patch = tusclient.request.requests.patch

    def counted(*args, **kwargs):
        sent.append(len(kwargs.get("data") or b""))
        return real_patch(*args, **kwargs)

    monkeypatch.setattr(tusclient.request.requests, "patch", counted)
    client = TusClient(f"{phone['base']}/uploads", headers=phone["headers"])
    uploader = client.uploader(file_stream=io.BytesIO(DATA), url=phone["url"], chunk_size=CHUNK)
    assert uploader.offset == CHUNK  # asked the server with HEAD, which still answers
    try:
        uploader.upload()
    except TusUploadFailed as failure:
        return uploader, sent, failure
    return uploader, sent, None


def test_tuspy_resuming_after_the_close_is_refused_with_the_reason(phone, monkeypatch):
    _close(phone)
    uploader, sent, failure = _tuspy_resume(phone, monkeypatch)
    assert failure is not None and failure.status_code == 403
    assert "This assignment has closed" in failure.response_content.decode()
    assert sent == [CHUNK]  # one chunk went out, refused before it was read
    assert _offset(phone) == CHUNK


def test_tuspy_goes_on_after_an_extension(phone, monkeypatch):
    _close(phone)
    _extend(phone)
    uploader, sent, failure = _tuspy_resume(phone, monkeypatch)
    assert failure is None and uploader.offset == len(DATA)
    assert _offset(phone) == len(DATA)


def test_tuspy_of_a_student_removed_from_the_circle_is_refused(phone, monkeypatch):
    _remove_student(phone)
    _uploader, _sent, failure = _tuspy_resume(phone, monkeypatch)
    assert failure is not None and failure.status_code == 403
    assert "no longer a student of this circle" in failure.response_content.decode()
    assert _sent == [CHUNK]
    assert _offset(phone) == CHUNK


# -- tus-js-client under Node ----------------------------------------------------------------

def _node_resume(phone, tmp_path) -> dict:
    node = shutil.which("node")
    installed = (NODE_DIR / "node_modules" / "tus-js-client" / "package.json").exists()
    require_service("Node with tus-js-client", bool(node) and installed,
                    "node is not installed or tests/node/node_modules is missing (run scripts/setup)")
    path = tmp_path / "upload.bin"
    path.write_bytes(DATA)
    request = {"endpoint": f"{phone['base']}/uploads", "cookie": phone["headers"]["Cookie"],
               "csrf": phone["headers"]["X-CSRFToken"], "file": str(path), "scenario": "resume_at",
               "url": phone["url"]}
    done = subprocess.run([node, str(NODE_DIR / "tus_client.mjs")], input=json.dumps(request), text=True,
                          capture_output=True, cwd=NODE_DIR, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tus_js_client_resuming_after_the_close_is_refused_once_and_not_retried(phone, tmp_path):
    """With its retries on, tus-js-client (Uppy's engine) sends one PATCH, gets 403 with the
    reason in its error, and does not try again nor create a new upload."""
    _close(phone)
    result = _node_resume(phone, tmp_path)
    assert result["ok"] is False and result["status"] == 403
    assert "This assignment has closed" in result["body"]
    assert "This assignment has closed" in result["message"]  # what onError shows
    assert result["requests"] == [["HEAD", 200], ["PATCH", 403]]
    assert _offset(phone) == CHUNK


def test_tus_js_client_goes_on_after_an_extension(phone, tmp_path):
    _close(phone)
    _extend(phone)
    result = _node_resume(phone, tmp_path)
    assert result["ok"] is True, result
    assert [m for m, _ in result["requests"]].count("PATCH") == 4
    assert _offset(phone) == len(DATA)


def test_tus_js_client_of_a_student_removed_from_the_circle_is_refused(phone, tmp_path):
    _remove_student(phone)
    result = _node_resume(phone, tmp_path)
    assert result["status"] == 403 and "no longer a student of this circle" in result["body"]
    assert result["requests"] == [["HEAD", 200], ["PATCH", 403]]
