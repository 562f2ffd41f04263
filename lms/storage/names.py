"""File names that are safe wherever the app hands a file out: a download's Content-Disposition and every
entry of a streamed ZIP read the same rule, so a name looks alike however the file is fetched. Plain
functions, no Flask."""
from __future__ import annotations

import re
import unicodedata

#: Longest name, in UTF-8 bytes (file systems take 255; room is left for " (2)").
NAME_BYTES = 200

#: Control characters, and the invisible format characters that reorder or hide text (bidi overrides
#: such as U+202E make "evil\u202Efdp.exe" look like "evilexe.pdf").
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Characters Windows does not allow in a file name (its own unpacking stops at them).
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
#: Names of devices on Windows, with or without an extension ("CON.txt" opens the console).
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


def safe_name(name: str, fallback: str = "file") -> str:
    """A name that is safe as one part of an entry's path on every unpacking tool: no folder
    separators, no "." or "..", no control or bidi format characters, none of Windows' forbidden
    characters (<>:"|?*, each made "_"), no trailing dots or spaces, no device name such as "CON.txt"
    (made "_CON.txt"), at most NAME_BYTES of UTF-8 with the extension kept. Chinese and other letters stay."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = _UNSAFE.sub("", name).replace("/", "_").replace("\\", "_")
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = name.strip().rstrip(". ")
    if not name or set(name) <= {"."}:
        return fallback
    if _WINDOWS_DEVICES.match(name):
        name = "_" + name
    if len(name.encode("utf-8")) > NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = (dot + ext) if dot and 0 < len(ext) <= 16 else ""
        stem = name[: len(name) - len(ext)] if ext else name
        while len((stem + ext).encode("utf-8")) > NAME_BYTES:
            stem = stem[:-1]
        name = stem.rstrip(". ") + ext
    return name
