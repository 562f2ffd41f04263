"""Health endpoints for a load balancer or an orchestrator.

- `/healthz` (liveness): the process answers; no I/O at all, so a slow database never gets a healthy
  process restarted.
- `/readyz` (readiness): the database, Redis (when configured) and the storage answer, each within
  HEALTH_TIMEOUT_SECONDS; 503 when one does not, so the balancer sends traffic elsewhere.

Both answer JSON with `ok`/`failed` per component and nothing else: no versions, hosts or error text
(the endpoints are public). They are exempt from rate limits and CSRF, read no session and set no
cookie, and are not subject to the plain-HTTP check (lms/core/security.py): a balancer probes over
plain HTTP on the private network.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify, request

from lms.extensions import csrf, db, limiter
from lms.storage import get_storage

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

#: paths of this blueprint, which other request hooks leave alone (sessions, the plain-HTTP check)
PATHS = frozenset({"/healthz", "/readyz"})
ENDPOINTS = frozenset({"health.liveness", "health.readiness"})


def is_health_request(path: str) -> bool:
    return path in PATHS


@bp.get("/healthz")
def liveness():
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readiness():
    app = current_app._get_current_object()
    timeout = float(app.config.get("HEALTH_TIMEOUT_SECONDS", 2))
    checks: dict[str, Callable[[], None]] = {"database": _database, "storage": _storage}
    if app.config.get("REDIS_URL"):
        checks["redis"] = _redis
    results = {name: "ok" if _within(app, check, timeout, name) else "failed" for name, check in checks.items()}
    ready = all(result == "ok" for result in results.values())
    return _answer({"status": "ok" if ready else "failed", **results}, 200 if ready else 503)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _within(app: Flask, check: Callable[[], None], timeout: float, name: str) -> bool:
    """Run `check` in its own thread with the app's context; False if it raises or outlasts `timeout`.
    A check that hangs is left to finish in the background (daemon thread); the answer does not wait."""
    outcome: list[bool] = []

    def run():
        with app.app_context():
            try:
                check()
                outcome.append(True)
            except Exception:  # any failure means "not ready"; the reason goes to the log, not the answer
                logger.warning("readiness check %s failed", name, exc_info=True)
                outcome.append(False)

    thread = threading.Thread(target=run, name=f"readyz-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        logger.warning("readiness check %s took longer than %s s", name, timeout)
        return False
    return bool(outcome and outcome[0])


def _database() -> None:
    from sqlalchemy import text

    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.remove()


def _redis() -> None:
    import redis

    timeout = float(current_app.config.get("HEALTH_TIMEOUT_SECONDS", 2))
    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=timeout,
                                  socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    storage = get_storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # S3: the bucket exists and these credentials reach it
        storage.client.head_bucket(Bucket=bucket)
        return
    root = getattr(storage, "root", None)
    if root is not None and not (root.is_dir() and _writable(root)):
        raise OSError("storage root is not a writable folder")


def _writable(path) -> bool:
    import os

    return os.access(path, os.W_OK | os.X_OK)


def init_app(app: Flask) -> None:
    """Register the endpoints, exempt from CSRF and rate limits, answered before any other hook.

    The app's other before-request hooks load the signed-in user, redirect to the first-run set-up
    or start the scheduler: reading the session and the database on a liveness probe. The first
    hook therefore answers the two endpoints itself, so none of the others runs for them.
    """
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)

    def answer_health_first():
        if request.endpoint in ENDPOINTS:
            return current_app.view_functions[request.endpoint]()
        return None

    app.before_request_funcs.setdefault(None, []).insert(0, answer_health_first)
