"""The ffmpeg wrapper: safety flags on every run, limits, timeouts and typed errors."""
from __future__ import annotations

import os
import sys
import time

import pytest

from lms.media import ffmpeg as wrapper
from lms.media.ffmpeg import FFmpegError, FFmpegNotFound, FFmpegTimeout


def test_every_argv_carries_the_safety_flags(clips):
    """Does a command built from an ffmpeg-python graph get -nostdin, -v error and both whitelists?"""
    spec = wrapper.safe_input(clips.valid).output(wrapper.file_url("/tmp/out.mp4"), vcodec="libx264")
    argv = wrapper.ffmpeg_argv(spec, progress=True)
    assert argv[1:4] == ["-nostdin", "-v", "error"]
    assert ["-progress", "pipe:1"] == argv[argv.index("-progress") : argv.index("-progress") + 2]
    i = argv.index("-i")
    assert argv[i + 1] == "file:" + str(clips.valid)
    assert argv[argv.index("-format_whitelist") + 1] == "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
    assert argv[argv.index("-protocol_whitelist") + 1] == "file"
    assert argv.index("-format_whitelist") < i and argv.index("-protocol_whitelist") < i


@pytest.mark.parametrize(
    "args",
    [
        ["-i", "/etc/passwd", "-f", "null", "-"],  # not a file: URL
        ["-f", "lavfi", "-i", "testsrc", "-f", "null", "-"],
        ["-protocol_whitelist", "file", "-i", "file:/x.mp4", "-f", "null", "-"],  # no format whitelist
        [*["-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm", "-protocol_whitelist", "file"],
         "-i", "file:/a.mp4", "-i", "file:/b.m3u8", "-f", "null", "-"],  # second input without them
        ["-format_whitelist", "hls", "-protocol_whitelist", "file", "-i", "file:/x.mp4", "-f", "null", "-"],
    ],
)
def test_unsafe_inputs_are_refused(args):
    """Is a command whose input lacks the file: URL or either whitelist refused before it runs?"""
    with pytest.raises(ValueError):
        wrapper.ffmpeg_argv(args)


def test_a_relative_path_is_made_absolute_and_prefixed():
    """Can a file named like a protocol ("concat:a|b") be mistaken for one?"""
    assert wrapper.file_url("concat:a.mp4|b.mp4") == "file:" + os.path.join(os.getcwd(), "concat:a.mp4|b.mp4")


def test_timeout_kills_the_run():
    """Does a run that outlives its wall-clock limit get killed and reported as FFmpegTimeout?"""
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout):
        wrapper.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert time.monotonic() - started < 5


def test_children_run_niced_and_memory_limited():
    """Do runs get the niceness and address-space limit we ask for?"""
    script = (
        "import os, resource; "
        "print(os.nice(0), resource.getrlimit(resource.RLIMIT_AS)[0])"
    )
    result = wrapper.run([sys.executable, "-c", script], timeout=20, niceness=7, memory_limit=1536 * 1024**2)
    niceness, limit = result.stdout.split()
    assert int(niceness) == min(19, os.nice(0) + 7)
    assert int(limit) == 1536 * 1024**2


def test_memory_limit_stops_ffmpeg():
    """Does ffmpeg fail (rather than run unbounded) when its address space is too small?"""
    with pytest.raises(FFmpegError):
        wrapper.run([wrapper.ffmpeg_bin(), "-nostdin", "-version"], timeout=20, memory_limit=16 * 1024**2)
    wrapper.run([wrapper.ffmpeg_bin(), "-nostdin", "-version"], timeout=20)


def test_failure_carries_exit_code_and_stderr(tmp_path):
    """Does a failed run say why, with the exit code and ffmpeg's own message?"""
    missing = tmp_path / "missing.mp4"
    with pytest.raises(FFmpegError) as caught:
        wrapper.run_ffmpeg([*wrapper.input_args(missing), "-f", "null", "-"], timeout=20)
    assert caught.value.returncode not in (None, 0)
    assert "No such file" in caught.value.stderr
    assert "No such file" in str(caught.value)


def test_binaries_come_from_the_environment(monkeypatch):
    """Are FFMPEG_BIN/FFPROBE_BIN honoured, and is a wrong one a clear FFmpegNotFound?"""
    monkeypatch.setenv("FFMPEG_BIN", "/nonexistent/ffmpeg")
    with pytest.raises(FFmpegNotFound):
        wrapper.ffmpeg_bin()
    monkeypatch.setenv("FFPROBE_BIN", "ffprobe")
    assert os.path.isabs(wrapper.ffprobe_bin())
