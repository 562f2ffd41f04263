"""The translated messages of static/js for the browser: one small script per locale, cached for a year.

The scripts call `gettext("…", {name: value})` and `ngettext("one", "many", n, {…})`
(static/js/core/i18n.js); `scripts/i18n extract` puts those messages in the same catalogs as the
templates'. This module finds the messages the scripts use (Babel's JavaScript extractor over
static/js, once per process) and builds, from the compiled catalog of a locale, the script served as
`/i18n/<locale>/<digest>.js` (lms/accounts/routes.py), which sets `Circles.catalog`. The digest is the content's hash, so the
URL changes whenever a translation or a script's message changes and the file may be cached forever.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "static" / "js"
TRANSLATIONS = ROOT / "lms" / "translations"
#: The keywords of static/js/core/i18n.js, as Babel's extractor reads them.
KEYWORDS = {"gettext": None, "ngettext": (1, 2)}
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=1)
def script_message_ids() -> tuple[str, ...]:
    """The message ids (the singular of a plural message) that the files of static/js ask for."""
    found = extract_from_dir(str(SCRIPTS), [("**.js", "javascript")], keywords=KEYWORDS)
    ids = {message if isinstance(message, str) else message[0] for _f, _l, message, _c, _x in found}
    return tuple(sorted(i for i in ids if i))


@lru_cache(maxsize=8)
def script_catalog(locale: str) -> tuple[str, str]:
    """(body, digest) of the catalog script of `locale`: a plain message maps to its translation, a
    plural one to the list of its forms; untranslated messages are left out (the script shows the
    English). The page's language for Intl comes from <html lang>, not from here."""
    messages: dict[str, str | list[str]] = {}
    mo = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    if mo.exists():
        with open(mo, "rb") as f:
            compiled = read_mo(f)
        for msgid in script_message_ids():
            message = compiled.get(msgid)
            if message is None:
                continue
            if isinstance(message.string, (tuple, list)):
                if all(message.string):
                    messages[msgid] = list(message.string)
            elif message.string:
                messages[msgid] = message.string
    data = json.dumps({"locale": locale, "messages": messages}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    body = f"(window.Circles = window.Circles || {{}}).catalog = {data};\n"
    return body, hashlib.sha256(body.encode()).hexdigest()[:16]
