"""Human-friendly random codes (Crockford base32: no I, L, O, U) and their normalisation."""
from __future__ import annotations

import secrets

from lms.core.inputs import normalize_typed

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 32 symbols: 5 bits each
JOIN_CODE_LENGTH = 8  # 40 bits
COURSE_CODE_LENGTH = 10  # 50 bits
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(raw: str | None) -> str:
    """What the person meant, for join and course codes: full-width forms, spaces and every kind of
    dash ignored (lms.core.inputs.normalize_typed), case ignored, look-alike letters mapped
    (``ＡＢ０ＣＤ－１ＥＦ`` → ``AB0CD1EF``, ``abcd-efgh`` → ``ABCDEFGH``)."""
    typed = normalize_typed(raw).upper()
    cleaned = "".join(ch for ch in typed if ch.isascii() and ch.isalnum())
    return cleaned.translate(_CONFUSABLE)[:32]


def normalize_token(raw: str | None) -> str:
    """An invite token copied or typed by hand: full-width forms and spaces ignored, any dash read as
    the "-" of the URL-safe alphabet. Case matters (the alphabet has both cases)."""
    return normalize_typed(raw, dashes="-")[:64]


def format_code(code: str) -> str:
    """Group a code for reading aloud or printing: ABCD-EFGH, ABCDE-FGHJK."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) >= 8 else code
