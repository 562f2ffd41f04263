"""File storage behind one interface: local disk (embedded default) or an S3-compatible bucket.

Keys are generated here (random); a user's file name never becomes part of a key or a path.
"""
from __future__ import annotations

import secrets

from flask import current_app

from lms.storage.base import Storage
from lms.storage.local import LocalStorage

__all__ = ["Storage", "LocalStorage", "get_storage", "new_key", "init_app"]


def new_key(prefix: str, suffix: str = "") -> str:
    """A fresh random key under `prefix` (e.g. ``avatars``); `suffix` is ours, never the user's."""
    return f"{prefix}/{secrets.token_urlsafe(18)}{suffix}"


def get_storage() -> Storage:
    return current_app.extensions["lms_storage"]


def init_app(app) -> None:
    backend = app.config["STORAGE_BACKEND"]
    if backend == "local":
        app.extensions["lms_storage"] = LocalStorage(app.config["STORAGE_ROOT"])
    elif backend == "s3":
        from lms.storage.s3 import S3Storage

        app.extensions["lms_storage"] = S3Storage.from_config(app.config)
    else:
        raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r}")
