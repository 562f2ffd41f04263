"""What a stored file's first bytes prove it is (a content type), whatever its name or the browser said."""
from __future__ import annotations

#: Types a page may show inline (from a sandboxed response); everything else is only downloaded.
PREVIEW_IMAGE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PREVIEW_PDF = frozenset({"application/pdf"})
PREVIEW_AUDIO = frozenset({"audio/mpeg", "audio/ogg", "audio/wav", "audio/flac", "audio/mp4"})
PREVIEW_VIDEO = frozenset({"video/mp4", "video/webm"})
PREVIEWABLE = PREVIEW_IMAGE | PREVIEW_PDF | PREVIEW_AUDIO | PREVIEW_VIDEO

#: How many bytes `sniff` wants.
HEAD_BYTES = 64

OCTET = "application/octet-stream"


def sniff(head: bytes) -> str:
    """The content type of a file starting with `head`: one of a few formats proved by their magic
    bytes, else application/octet-stream. Text (HTML, SVG, scripts) is never told apart: it is a
    download like any unknown file, so nothing a member uploads can run in the app's origin."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        if brand in (b"heic", b"heix", b"mif1", b"avif"):
            return OCTET
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    return OCTET


def preview_kind(content_type: str) -> str | None:
    """"image", "pdf", "audio" or "video" when a page may show the type inline; None: download only."""
    if content_type in PREVIEW_IMAGE:
        return "image"
    if content_type in PREVIEW_PDF:
        return "pdf"
    if content_type in PREVIEW_AUDIO:
        return "audio"
    if content_type in PREVIEW_VIDEO:
        return "video"
    return None
