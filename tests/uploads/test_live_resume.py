"""Resuming against a real server: a connection cut mid-chunk, and a server killed and restarted."""
from __future__ import annotations

import os
import re
import socket
import time

import requests

from tests.fixtures.live import LiveServer

CHUNK_TYPE = "application/offset+octet-stream"


def _env(tmp_path) -> dict[str, str]:
    return {
        "LMS_SECRET_KEY": "live-resume-secret",
        "LMS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}",
        "LMS_STORAGE_ROOT": str(tmp_path / "storage"),
        "LMS_UPLOAD_DIR": str(tmp_path / "uploads"),
    }


def _signed_in(base: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/setup").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = session.post(f"{base}/setup", data={
        "csrf_token": token, "name": "Teacher", "email": "t@example.org",
        "password": "correct horse battery staple", "confirm": "correct horse battery staple"})
    assert response.ok
    token = re.search(r'name="csrf-token" content="([^"]+)"', session.get(f"{base}/media/").text).group(1)
    return session, token


def _send_part_of_body(base: str, session: requests.Session, token: str, url: str, offset: int,
                       announced: int, body: bytes) -> socket.socket:
    """Start a PATCH announcing `announced` bytes, send only `body`, and leave the socket open."""
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = (f"PATCH {url} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookies}\r\n"
            f"X-CSRFToken: {token}\r\nUpload-Offset: {offset}\r\nContent-Type: {CHUNK_TYPE}\r\n"
            f"Content-Length: {announced}\r\n\r\n")
    sock.sendall(head.encode() + body)
    return sock


def _offset(session, base, url) -> int:
    response = session.head(f"{base}{url}")
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def test_cut_connection_and_server_crash_lose_nothing_received(tmp_path):
    """If the connection drops mid-chunk, then the server is killed and restarted, does the upload
    resume from the bytes the server holds and end byte for byte equal to the file?"""
    env = _env(tmp_path)
    data = os.urandom(3 * 1024 * 1024)
    server = LiveServer(env)
    try:
        session, token = _signed_in(server.url)
        created = session.post(f"{server.url}/uploads", json={"filename": "dance.mov", "size": len(data),
                                                               "kind": "file"}, headers={"X-CSRFToken": token})
        assert created.status_code == 201
        url = created.json()["url"]

        # 1. The laptop closes mid-chunk: the server keeps what arrived.
        sock = _send_part_of_body(server.url, session, token, url, 0, 1_000_000, data[:400_000])
        time.sleep(0.5)
        sock.close()
        deadline = time.monotonic() + 10
        while _offset(session, server.url, url) != 400_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _offset(session, server.url, url) == 400_000

        # 2. Mid-way through the next chunk the server dies (kill -9).
        sock = _send_part_of_body(server.url, session, token, url, 400_000, 2_000_000, data[400_000:1_400_000])
        time.sleep(0.5)
        server.kill()
        sock.close()
    finally:
        server.stop()

    restarted = LiveServer(env)
    try:
        offset = _offset(session, restarted.url, url)
        assert 400_000 <= offset <= 1_400_000  # everything the dead server had written is still there
        response = session.patch(f"{restarted.url}{url}", data=data[offset:], headers={
            "X-CSRFToken": token, "Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE})
        assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(data))
        state = session.get(f"{restarted.url}/media/{created.json()['media_id']}/state").json()
        assert state["state"] == "ready"
        download = session.get(f"{restarted.url}{state['urls']['download']}")
        assert download.content == data
    finally:
        restarted.stop()
