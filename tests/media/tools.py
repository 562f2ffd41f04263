"""Helpers for media tests: run ffmpeg/ffprobe directly to make inputs and inspect outputs."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")


def ffmpeg(*args: str | Path) -> None:
    """Run ffmpeg directly (tests only: lavfi sources are refused by lms.media.ffmpeg on purpose)."""
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *map(str, args)], check=True, timeout=60)


def ffprobe_json(path: Path, *entries: str) -> dict:
    """Inspect an output file with a plain ffprobe call (independent of lms.media.probe)."""
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", ":".join(entries), "-of", "json", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def top_level_atoms(path: Path) -> list[str]:
    """The names of an MP4's top-level boxes, in file order."""
    names = []
    with open(path, "rb") as f:
        while header := f.read(8):
            size, name = int.from_bytes(header[:4], "big"), header[4:].decode("latin-1")
            if size == 1:
                size = int.from_bytes(f.read(8), "big") - 8
            elif size == 0:
                names.append(name)
                break
            names.append(name)
            f.seek(size - 8, 1)
    return names
