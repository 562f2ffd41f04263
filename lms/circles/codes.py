"""Human-friendly random codes (Crockford base32: no I, L, O, U) and their normalisation."""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 32 symbols: 5 bits each
JOIN_CODE_LENGTH = 8  # 40 bits
COURSE_CODE_LENGTH = 10  # 50 bits
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(raw: str) -> str:
    """What the person meant: case, spaces and dashes ignored, look-alike letters mapped."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return cleaned.translate(_CONFUSABLE)[:32]


def format_code(code: str) -> str:
    """Group a code for reading aloud or printing: ABCD-EFGH, ABCDE-FGHJK."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) >= 8 else code
