"""How far a running roster apply has come, readable by the page while the job's own transaction is still
open (it commits all at once, so the database cannot say): in Redis when jobs run on RQ (the worker is
another process), else in this process's memory (the embedded worker thread, or inline)."""
from __future__ import annotations

import json
import threading

from flask import current_app

_local: dict[int, tuple[int, int]] = {}
_lock = threading.Lock()
#: a progress note outlives a job that died by this long, then goes
TTL_SECONDS = 3600


def _redis():
    if current_app.config.get("JOBS_BACKEND") != "rq" or not current_app.config.get("REDIS_URL"):
        return None
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def _key(import_id: int) -> str:
    return f"{current_app.config.get('REDIS_PREFIX', 'lms')}-roster-progress:{import_id}"


def set_progress(import_id: int, done: int, total: int) -> None:
    redis = _redis()
    if redis is not None:
        redis.set(_key(import_id), json.dumps([done, total]), ex=TTL_SECONDS)
        return
    with _lock:
        _local[import_id] = (done, total)


def get_progress(import_id: int) -> tuple[int, int] | None:
    """(done, total) steps of the apply under way, or None before its first step."""
    redis = _redis()
    if redis is not None:
        raw = redis.get(_key(import_id))
        return tuple(json.loads(raw)) if raw else None
    with _lock:
        return _local.get(import_id)


def clear_progress(import_id: int) -> None:
    redis = _redis()
    if redis is not None:
        redis.delete(_key(import_id))
        return
    with _lock:
        _local.pop(import_id, None)
