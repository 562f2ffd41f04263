"""Password hashing (argon2id, memory-hard) and the password policy."""
from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON = frozenset(
    line.strip().lower()
    for line in (Path(__file__).with_name("common_passwords.txt")).read_text().splitlines()
    if line.strip()
)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


#: A valid hash of a random password: verified against when the email is unknown, so a wrong
#: email takes as long as a wrong password (no account enumeration by timing).
def dummy_hash() -> str:
    cached = current_app.extensions.get("lms_dummy_hash")
    if cached is None:
        cached = current_app.extensions["lms_dummy_hash"] = hash_password("not-a-real-password-x9")
    return cached


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why `password` is too weak, or None. Length first, then the obvious guesses."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        return str(_l("This password is too easy to guess. Try a short sentence or a mix of words."))
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") == lowered):
        return str(_l("Do not use your name or email address in your password."))
    return None
