"""A real Janus for the stage tests, started on free ports from the generated configuration (as
scripts/serve.py does), and the app pointed at it. No janus binary: skipped locally, a failure on CI
(CI=true), as every other service the suite needs."""
from __future__ import annotations

import pytest

from lms.live.stage.janus_conf import JanusProcess, JanusSettings, janus_binary
from tests.fixtures.services import require_service
from tests.live.room_support import Page

_KEYS = ("JANUS_API_URL", "JANUS_ADMIN_URL", "JANUS_API_SECRET", "JANUS_ADMIN_SECRET", "JANUS_ADMIN_KEY",
         "JANUS_TOKEN_SECRET", "JANUS_PUBLIC_WS_URL", "JANUS_PUBLIC_HTTP_URL")


@pytest.fixture(scope="session")
def janus_server(tmp_path_factory):
    binary = janus_binary()
    require_service("janus", binary is not None, "the janus binary is not installed (scripts/setup installs it)")
    settings = JanusSettings.random(ice_enforce="lo")
    process = JanusProcess(settings, tmp_path_factory.mktemp("janus"), binary).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def janus_app(app, janus_server):
    """The session app with this Janus configured (and its client rebuilt), put back afterwards."""
    before = {k: app.config.get(k) for k in _KEYS}
    app.config.update(janus_server.settings.app_config())
    app.extensions.pop("circles_janus", None)
    yield app
    app.config.update(before)
    app.extensions.pop("circles_janus", None)


@pytest.fixture
def page(app, client_as):
    """page(user) → a lesson page of `user` (a Socket.IO client on /live) that has not joined yet."""
    pages = []

    def _page(user):
        pages.append(Page(app, client_as(user)))
        return pages[-1]

    yield _page
    for p in pages:
        p.close()
