"""Browser tests: a live server with its own app and SQLite file, driven by Debian's chromium through
Playwright's sync API (no `playwright install`; see tech notes §7).

The live app never shares state with the session-wide `app` fixture: its own create_app call, its
own database file in a temporary folder, and the process-wide Flask-Limiter and Socket.IO objects
left as the other app set them (those two keep their settings on the extension object, not on the app).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lms.config import TestConfig
from lms.core.serving import make_embedded_server
from lms.extensions import db, socketio
from tests.fixtures.app import create_isolated_app
from tests.fixtures.services import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
PASSWORD = "correct horse battery"
TIMEOUT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright (tests/browser)")


@dataclass
class LiveServer:
    url: str
    app: object

    def unique_email(self, who: str) -> str:
        return f"{who}-{uuid.uuid4().hex[:8]}@example.org"

    def confirmation_path(self, email: str) -> str:
        """The path of the "finish creating your account" link mailed to `email` (registration
        is finished through it)."""
        import email as email_lib
        import re

        config = self.app.config
        folder = Path(config.get("MAIL_DIR") or Path(self.app.instance_path) / "mail")
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
            message = email_lib.message_from_bytes(path.read_bytes())
            if message["To"] == email:
                found = re.search(r"(/register/confirm/\S+)", message.get_payload(decode=True).decode())
                if found:
                    return found.group(1)
        raise AssertionError(f"no confirmation link was mailed to {email}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """The app served by Werkzeug on 127.0.0.1 (a free port) in a daemon thread, with a site admin,
    so the first-run set-up is done and people can register."""
    folder = tmp_path_factory.mktemp("browser-app")

    class BrowserConfig(TestConfig):
        # its own instance folder: uploads in progress, live segments and mail stay out of the repository's
        # instance/ (partial uploads of the browser tests were left there)
        INSTANCE_PATH = str(folder)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'browser.db'}"
        STORAGE_ROOT = str(folder / "storage")
        SERVER_NAME = None  # set to the live server's address once its port is known (below)
        JOBS_BACKEND = "inline"
        RATELIMIT_ENABLED = False
        MAIL_BACKEND = "file"

    application = create_isolated_app(BrowserConfig)
    application.instance_path = str(folder)  # mail files land here, not in the repository's instance/
    assert application.config["SQLALCHEMY_DATABASE_URI"] == BrowserConfig.SQLALCHEMY_DATABASE_URI
    assert application.config["UPLOAD_DIR"].startswith(str(folder)), application.config["UPLOAD_DIR"]
    from lms.accounts import operations as account_ops

    with application.app_context():
        db.create_all()
        account_ops.register_user("admin@example.org", PASSWORD, "Site Admin", is_admin=True)
        db.session.commit()
        db.session.remove()

    server = make_embedded_server("127.0.0.1", 0, application)
    # the public host, as production configures it: links in mail and invite links point here
    application.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=application)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def live_pushes(live_server, monkeypatch):
    """Pushes emitted by the live app reach the browsers connected to it.

    Flask-SocketIO keeps one server on its process-wide extension object, and `live_server` hands
    that object back to the session `app` when one exists; emits would then go to a server no
    browser is connected to. The live app's own server is the one its middleware wraps.
    """
    from flask_socketio import _SocketIOMiddleware

    wrapped = live_server.app.wsgi_app
    while not isinstance(wrapped, _SocketIOMiddleware):
        wrapped = getattr(wrapped, "app", None) or getattr(wrapped, "wsgi_app", None)
        assert wrapped is not None, "the live app is not served through Flask-SocketIO's middleware"
    monkeypatch.setattr(socketio, "server", wrapped.engineio_app)


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium, headless. Missing: skipped locally, a failure on CI."""
    require_service("chromium", os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(chromium, live_server):
    """Open a fresh browser context (a separate person: own cookies) on the live server."""
    contexts = []

    def _new(locale: str = "en-US", timezone_id: str = "Asia/Shanghai"):
        context = chromium.new_context(base_url=live_server.url, locale=locale, timezone_id=timezone_id,
                                       viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def screenshots(tmp_path):
    """`with screenshots.on_failure(page, "step"):` re-raises any failure inside the block as an
    AssertionError naming a full-page screenshot of that moment; `screenshots.take(page, name)`
    keeps one on purpose."""
    return Screenshots(tmp_path)


class Screenshots:
    def __init__(self, folder: Path):
        self.folder = folder

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    @contextmanager
    def on_failure(self, page, step: str):
        try:
            yield
        except Exception as error:
            try:
                where = f"screenshot: {self.take(page, 'FAILED-' + step)}"
            except Exception as shot_error:  # the page may be gone; keep the original failure
                where = f"(no screenshot: {shot_error})"
            raise AssertionError(f"browser step {step!r} failed at {page.url}: {error}\n{where}") from error


def make_clip(folder: Path, name: str, seconds: int) -> Path:
    """A real `seconds`-long 320×240 H.264/AAC MP4 made by ffmpeg (test pattern and a tone)."""
    require_service("ffmpeg", shutil.which("ffmpeg") is not None, "ffmpeg is not on PATH")
    path = folder / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True, timeout=60,
    )
    return path
