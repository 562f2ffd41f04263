"""Speaking the upload protocol from tests, as the browser's uploader does."""
from __future__ import annotations

from pathlib import Path

CHUNK_TYPE = "application/offset+octet-stream"


def start(client, size: int, *, filename: str = "dance.mp4", kind: str = "video", **extra):
    """POST /uploads; returns the response."""
    body = {"filename": filename, "size": size, "kind": kind, **extra}
    return client.post("/uploads", json=body, headers={"X-CSRFToken": client.csrf_token()})


def patch(client, url: str, data: bytes, offset: int):
    return client.patch(url, data=data, headers={"Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE,
                                                "X-CSRFToken": client.csrf_token()})


def upload_bytes(client, data: bytes, *, chunk: int = 64 * 1024, **start_args) -> dict:
    """Upload `data` in chunks through the app; return the creation JSON."""
    created = start(client, len(data), **start_args)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    offset = 0
    while offset < len(data):
        response = patch(client, body["url"], data[offset:offset + chunk], offset)
        assert response.status_code == 204, response.get_data(as_text=True)
        offset = int(response.headers["Upload-Offset"])
    return body


def upload_file(client, path: Path, **start_args) -> dict:
    return upload_bytes(client, Path(path).read_bytes(), filename=Path(path).name, **start_args)
