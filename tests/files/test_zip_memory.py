"""A folder's ZIP is streamed: a folder larger than the process may hold in memory downloads whole."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_folder_larger_than_the_memory_limit_streams_with_bounded_rss():
    """With its address space capped at its size plus 128 MB, can a process serve the 384 MB ZIP of a
    folder, every byte (Content-Length honoured), its RSS growing by less than 64 MB? (scripts/bench/zip
    in a subprocess: the cap must not hit the test runner.)"""
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "zip"), "--size-mb", "384", "--files", "12",
                          "--limit-mb", "128", "--json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["content_bytes"] == 384 * 1024 * 1024
    assert result["zip_bytes"] == result["content_length"] > result["content_bytes"]
    assert result["rss_growth_mb"] < 64
