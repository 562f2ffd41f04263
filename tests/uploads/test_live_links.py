"""Links as students have them, against real servers: a client that vanishes with its socket open,
a slow link under the documented production set-up (deploy/gunicorn-uploads.conf.py), a cut
mid-chunk. Timeouts on the client's requests only bound a hang; nothing here measures speed."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import requests

from tests.fixtures.live import GunicornServer, LiveServer, cookie_header, sign_up_first_user

CHUNK_TYPE = "application/offset+octet-stream"
TUS = {"Tus-Resumable": "1.0.0"}


def _env(folder: Path) -> dict[str, str]:
    return {
        "LMS_SECRET_KEY": "live-links-secret",
        "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}",
        "LMS_STORAGE_ROOT": str(folder / "storage"),
        "LMS_UPLOAD_DIR": str(folder / "uploads"),
        "LMS_RATELIMIT_ENABLED": "false",
    }


def _create(base: str, session: requests.Session, csrf: str, size: int) -> dict:
    response = session.post(f"{base}/uploads", headers={**TUS, "X-CSRFToken": csrf, "Upload-Length": str(size),
                                                        "Upload-Metadata": "kind ZmlsZQ==,filename YS5iaW4="},
                            timeout=10)
    assert response.status_code == 201
    return response.json()


def _open_patch(base: str, session: requests.Session, csrf: str, url: str, offset: int, announced: int) -> socket.socket:
    """A PATCH whose headers announce `announced` bytes; the caller sends the body on the socket."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall((f"PATCH {url} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie_header(session)}\r\n"
                  f"X-CSRFToken: {csrf}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
                  f"Content-Type: {CHUNK_TYPE}\r\nContent-Length: {announced}\r\n\r\n").encode())
    return sock


def _wait_for_size(path: Path, size: int) -> None:
    """Until the server has written `size` bytes (read from the disk, so no request takes the upload over)."""
    deadline = time.monotonic() + 15
    while (path.stat().st_size if path.exists() else 0) < size:
        assert time.monotonic() < deadline, f"{path.name} stayed at {path.stat().st_size if path.exists() else 0}"
        time.sleep(0.02)


def _head(base, session, url) -> int:
    response = session.head(base + url, headers=TUS, timeout=5)  # a resume that waited would time out here
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def _patch(base, session, csrf, url, data: bytes, offset: int) -> requests.Response:
    return session.patch(base + url, data=data, timeout=30, headers={
        **TUS, "X-CSRFToken": csrf, "Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE})


def _stored(base, session, media_id) -> bytes:
    state = session.get(f"{base}/media/{media_id}/state", timeout=10).json()
    assert state["state"] == "ready", state
    return session.get(base + state["urls"]["download"], timeout=30).content


def _vanished_client_does_not_hold_the_upload(base: str, folder: Path) -> None:
    session, csrf = sign_up_first_user(base)
    data = os.urandom(1_500_000)
    created = _create(base, session, csrf, len(data))
    url, part = created["url"], folder / "uploads" / f"{created['token']}.part"

    dead = _open_patch(base, session, csrf, url, 0, 1_000_000)
    dead.sendall(data[:400_000])  # half the chunk, then the phone loses its network; the socket stays open
    _wait_for_size(part, 400_000)  # every byte that arrived is written as it arrives (lms/uploads/body.py)

    kept = _head(base, session, url)  # at once, with every byte the dead request wrote
    assert kept == 400_000
    dead.sendall(b"\0" * 300_000)  # the old request wakes up: it must not write any more
    # two chunks on one kept-alive connection: the server knows where the first body ended
    first = _patch(base, session, csrf, url, data[kept:900_000], kept)
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "900000"
    response = _patch(base, session, csrf, url, data[900_000:], 900_000)
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
    dead.close()
    assert _stored(base, session, created["media_id"]) == data


def test_a_vanished_client_does_not_hold_the_upload_development_server(tmp_path):
    """Under scripts/run's server: a PATCH whose client vanished mid-chunk with its socket open must
    not make the resume wait or fail; the resume starts from the bytes it wrote, and the old request
    never writes again."""
    server = LiveServer(_env(tmp_path))
    try:
        _vanished_client_does_not_hold_the_upload(server.url, tmp_path)
    finally:
        server.stop()


def test_slow_link_cut_and_vanished_client_under_the_production_upload_server(tmp_path):
    """Under deploy/gunicorn-uploads.conf.py with its timeout lowered to 2 s: a chunk sent over about
    5 s finishes (the worker is not killed mid-chunk) while other requests are answered; a cut
    mid-chunk keeps every byte that arrived; a vanished client does not hold the upload."""
    server = GunicornServer(_env(tmp_path), "deploy/gunicorn-uploads.conf.py", "--timeout", "2", "--graceful-timeout", "1", "--workers", "1",
                            "--threads", "8")
    try:
        base = server.url
        _vanished_client_does_not_hold_the_upload(base, tmp_path)
        session, csrf = _session_of(base)  # the teacher again, signed in anew
        data = os.urandom(400_000)
        created = _create(base, session, csrf, len(data))
        url, part = created["url"], tmp_path / "uploads" / f"{created['token']}.part"

        # 1. 150 kB at about 30 kB/s: one chunk that lasts 5 s, more than twice the worker timeout.
        slow = _open_patch(base, session, csrf, url, 0, 150_000)
        for start in range(0, 150_000, 6_000):
            slow.sendall(data[start:start + 6_000])
            time.sleep(0.2)
            if start == 60_000:  # meanwhile, other requests are served
                assert session.get(f"{base}/media/", timeout=5).status_code == 200
        answer = slow.recv(4096).decode()
        slow.close()
        assert answer.startswith("HTTP/1.1 204") and "Upload-Offset: 150000" in answer, answer

        # 2. Cut mid-chunk: every byte that arrived is kept.
        cut = _open_patch(base, session, csrf, url, 150_000, 200_000)
        cut.sendall(data[150_000:233_333])
        cut.close()
        _wait_for_size(part, 233_333)
        assert _head(base, session, url) == 233_333

        assert _patch(base, session, csrf, url, data[233_333:], 233_333).status_code == 204
        assert _stored(base, session, created["media_id"]) == data
    finally:
        server.stop()


def _session_of(base: str) -> tuple[requests.Session, str]:
    """A second user's signed-in session on a live server whose first account exists: the teacher's."""
    import re

    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", timeout=10, data={
        "csrf_token": token, "email": "t@example.org", "password": "correct horse battery staple"})
    assert response.ok
    page = session.get(f"{base}/media/", timeout=10).text
    return session, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
