"""Behind a reverse proxy (PROXY_COUNT), the client's address and the public URL come from its headers."""
from __future__ import annotations

from flask import request, url_for

from lms.accounts.operations import register_user
from lms.config import TestConfig
from lms.extensions import db
from tests.fixtures.app import create_isolated_app


def _app(tmp_path, count: int):
    class Config(TestConfig):
        INSTANCE_PATH = str(tmp_path)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'proxy.db'}"
        SERVER_NAME = None
        PROXY_COUNT = count

    app = create_isolated_app(Config)
    with app.app_context():
        db.create_all()
        register_user("admin@example.org", "correct horse battery", "Admin", is_admin=True)  # site set up
        db.session.commit()

    @app.get("/_whoami")
    def whoami():
        return {"addr": request.remote_addr, "url": url_for("circles.index", _external=True)}

    return app


HEADERS = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "circles.example.org"}


def test_forwarded_headers_are_trusted_only_when_configured(tmp_path):
    """Is the client's address the forwarded one only with PROXY_COUNT set (so nobody can forge it
    when no proxy stands in front)?"""
    direct = _app(tmp_path / "a", 0).test_client().get("/_whoami", headers=HEADERS).get_json()
    assert direct["addr"] == "127.0.0.1" and direct["url"].startswith("http://localhost/")
    proxied = _app(tmp_path / "b", 1).test_client().get("/_whoami", headers=HEADERS).get_json()
    assert proxied["addr"] == "203.0.113.7" and proxied["url"].startswith("https://circles.example.org/")
