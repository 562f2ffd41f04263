"""Names inside a ZIP unpack on every system, Windows' own unpacking included."""
from __future__ import annotations

import pytest

from lms.storage.names import safe_name


@pytest.mark.parametrize("name, safe", [
    ("a?b*.pdf", "a_b_.pdf"),
    ('Q&A: "week" 1|2.pdf', "Q&A_ _week_ 1_2.pdf"),
    ("讲义<1>.pdf", "讲义_1_.pdf"),
    ("CON.txt", "_CON.txt"),
    ("nul", "_nul"),
    ("com1.tar.gz", "_com1.tar.gz"),
    ("console.txt", "console.txt"),
    ("notes. ", "notes"),
    ("..", "file"),
    ("evil\u202efdp.exe", "evilfdp.exe"),
])
def test_a_name_windows_refuses_is_made_safe(name, safe):
    """Would Windows refuse (forbidden characters, device names) or misread this entry's name?"""
    assert safe_name(name) == safe


def test_a_single_download_is_named_by_the_zip_rule():
    """Is a file downloaded alone named as it is inside a ZIP ("<img src=x onerror=alert(1)>.txt" made
    "_img src=x onerror=alert(1)_.txt" in both), one rule for both?"""
    from urllib.parse import unquote

    from lms.storage.base import content_disposition

    hostile = "<img src=x onerror=alert(1)>.txt"
    header = content_disposition(hostile)
    saved = unquote(header.split("filename*=UTF-8''", 1)[1]) if "filename*=" in header else \
        header.split('filename="', 1)[1].rstrip('"')
    assert saved == safe_name(hostile) == "_img src=x onerror=alert(1)_.txt"
    assert unquote(content_disposition("CON.txt").split('filename="', 1)[1].split('"')[0]) == "_CON.txt"
