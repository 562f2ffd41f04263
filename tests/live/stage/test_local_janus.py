"""The embedded default's Janus (scripts/serve.py → lms.live.stage.local) and the page's CSP letting the
browser reach it. No janus binary: skipped locally, a failure on CI."""
from __future__ import annotations

import types

import requests

from lms.live.stage import janus_conf
from lms.live.stage.janus import Janus
from lms.live.stage.local import start_local_janus
from tests.fixtures.services import require_service


def _app_stub(tmp_path, **config):
    return types.SimpleNamespace(config=dict(config), instance_path=str(tmp_path), extensions={})


def test_serve_starts_a_janus_on_loopback_and_points_the_app_at_it(tmp_path):
    require_service("janus", janus_conf.janus_binary() is not None, "the janus binary is not installed")
    app = _app_stub(tmp_path)
    process = start_local_janus(app, "127.0.0.1")
    try:
        assert process is not None and process.running
        config = app.config
        assert config["JANUS_API_URL"].startswith("http://127.0.0.1:")
        assert config["JANUS_PUBLIC_WS_URL"].startswith("ws://127.0.0.1:")
        janus = Janus.from_config(config)
        assert janus.available()
        # the API wants the secret or a token; the admin API its own secret
        anonymous = requests.post(config["JANUS_API_URL"], json={"janus": "create", "transaction": "t"}).json()
        assert anonymous["error"]["code"] == 403
        admin = requests.post(config["JANUS_ADMIN_URL"], json={"janus": "list_sessions", "transaction": "t"}).json()
        assert admin["janus"] == "error"
        # its configuration is private to this user
        assert oct((tmp_path / "janus" / "conf").stat().st_mode)[-3:] == "700"
    finally:
        if process is not None:
            process.stop()
    assert not process.running


def test_no_local_janus_when_the_app_has_one_or_it_is_turned_off(tmp_path, monkeypatch):
    assert start_local_janus(_app_stub(tmp_path, JANUS_API_URL="http://janus.example/janus")) is None
    monkeypatch.setenv("LMS_JANUS", "off")
    assert start_local_janus(_app_stub(tmp_path)) is None
    monkeypatch.delenv("LMS_JANUS")
    monkeypatch.setenv("JANUS_BINARY", str(tmp_path / "no-such-janus"))
    app = _app_stub(tmp_path)
    assert start_local_janus(app) is None and "JANUS_API_URL" not in app.config


def test_the_csp_lets_pages_reach_janus(janus_app, client):
    ws = janus_app.config["JANUS_PUBLIC_WS_URL"].rstrip("/")
    http = janus_app.config["JANUS_PUBLIC_HTTP_URL"].rsplit("/janus", 1)[0]
    policy = client.get("/").headers["Content-Security-Policy"]
    connect = next(part for part in policy.split("; ") if part.startswith("connect-src"))
    assert ws in connect.split() and http in connect.split()
