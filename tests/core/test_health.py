"""Health endpoints for a load balancer: liveness without I/O, readiness of each service, no data."""
from __future__ import annotations

import logging
import socket

from lms.config import TestConfig
from lms.extensions import db
from tests.fixtures.app import create_isolated_app
from tests.fixtures.services import live_redis

STATES = {"ok", "failed"}


def _app(tmp_path, **settings):
    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'site.db'}"
        RATELIMIT_ENABLED = True
        SESSION_COOKIE_SECURE = True  # production cookies: probes come over plain HTTP all the same

    for key, value in settings.items():
        setattr(Config, key, value)
    app = create_isolated_app(Config)
    if Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
        with app.app_context():
            db.create_all()
    return app


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _assert_no_data(response):
    """Only ok/failed per component: no versions, hosts, error text; no cookie, nothing cached."""
    body = response.get_json()
    assert set(body.values()) <= STATES, body
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_ready_site_answers_ok_for_each_component(tmp_path):
    """On a working site (before any admin exists, which redirects every page to the set-up), do both
    endpoints answer 200 with ok per component, and no session cookie?"""
    client = _app(tmp_path).test_client()
    live = client.get("/healthz")
    assert live.status_code == 200 and _assert_no_data(live) == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert _assert_no_data(ready) == {"status": "ok", "database": "ok", "storage": "ok"}


def test_down_redis_makes_the_site_not_ready(tmp_path):
    """With Redis configured on a port where nothing listens, is /readyz 503 with redis failed (and
    nothing about why), while /healthz stays 200?"""
    app = _app(tmp_path, REDIS_URL=f"redis://127.0.0.1:{_unused_port()}/0", HEALTH_TIMEOUT_SECONDS=1)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert _assert_no_data(ready) == {"status": "failed", "database": "ok", "storage": "ok", "redis": "failed"}
    assert "127.0.0.1" not in ready.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_live_redis_is_ready(tmp_path):
    """With the test Redis (CI's), is redis reported ok?"""
    app = _app(tmp_path, REDIS_URL=live_redis())
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["redis"] == "ok"


def test_down_database_fails_readiness_but_not_liveness(tmp_path):
    """With the database unreachable, is the process still alive (liveness touches no database, not
    even through the set-up redirect or the session) but not ready?"""
    app = _app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_unused_port()}/none",
               HEALTH_TIMEOUT_SECONDS=1)
    client = app.test_client()
    client.set_cookie("session", "not-a-valid-session")
    live = client.get("/healthz")
    assert live.status_code == 200 and _assert_no_data(live) == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert _assert_no_data(ready) == {"status": "failed", "database": "failed", "storage": "ok"}


def test_missing_bucket_fails_readiness(tmp_path, s3_config):
    """With S3 storage whose bucket does not exist, is storage failed; once created, ok?"""
    from lms.storage import get_storage

    app = _app(tmp_path, STORAGE_BACKEND="s3", **s3_config)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["storage"] == "failed"
    with app.app_context():
        get_storage().ensure_bucket([])
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_probes_over_plain_http_raise_no_https_alarm(tmp_path, caplog):
    """A balancer probes over plain HTTP on the private network: on a site with Secure cookies, is that
    answered (GET and HEAD) without the plain-HTTP ERROR meant for browsers (lms/core/security.py)?"""
    client = _app(tmp_path).test_client()
    with caplog.at_level(logging.INFO):
        assert client.get("/healthz").status_code == 200
        assert client.head("/readyz").status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with caplog.at_level(logging.INFO):
        client.get("/login")
    assert [r for r in caplog.records if r.levelno == logging.ERROR and "plain HTTP" in r.getMessage()]
