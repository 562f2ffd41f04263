"""ffmpeg dies with the process that started it: a worker killed with SIGKILL leaves none behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lms.media import ffmpeg as wrapper
from tests.fixtures.live import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")


def stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state letter, start time in clock ticks) of `pid` from /proc, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0], int(fields[19])


def children(pid: int) -> dict[int, int]:
    """The live (not zombie) children of `pid`, as {pid: start time}."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = stat(int(entry))
            if info and info[0] == pid and info[1] != "Z":
                found[int(entry)] = info[2]
    return found


def is_ffmpeg(pid: int) -> bool:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name.startswith("ffmpeg")
    except OSError:  # ended meanwhile
        return False


def survivors(started: dict[int, int]) -> list[int]:
    """Which of `started` ({pid: start time}) still run (a zombie waiting for its reaper has ended)."""
    alive = []
    for pid, start in started.items():
        info = stat(pid)
        if info and info[2] == start and info[1] != "Z":
            alive.append(pid)
    return alive


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.05)



CHILD = textwrap.dedent("""
    import sys
    from lms import media

    said = []
    def progress(fraction):
        if not said:
            said.append(1)
            print("transcoding", flush=True)
    media.transcode(sys.argv[1], sys.argv[2], threads=1, progress=progress)
    print("finished", flush=True)
""")


def test_ffmpeg_dies_with_a_worker_killed_mid_transcode(long_clip, tmp_path):
    """When the process running a transcode is killed with SIGKILL (no clean-up of its own can run),
    does its ffmpeg stop too instead of transcoding on for nobody?"""
    worker = subprocess.Popen([sys.executable, "-c", CHILD, str(long_clip), str(tmp_path / "out.mp4")], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started: dict[int, int] = {}
    try:
        assert worker.stdout.readline().strip() == "transcoding", worker.stderr.read()
        started = wait_until(lambda: children(worker.pid), 10, "the transcode's ffmpeg")
        assert all(is_ffmpeg(pid) for pid in started)
        assert survivors(started), "ffmpeg ended before the kill: the clip is too short to test anything"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        wait_until(lambda: not survivors(started), 10, f"ffmpeg {sorted(started)} to end with its parent")
    finally:
        worker.kill()
        worker.wait()
        for pid in survivors(started):  # a failed run must not leave its ffmpeg to the next tests
            os.kill(pid, signal.SIGKILL)
        worker.stdout.close()
        worker.stderr.close()


EARLY_DEATH = textwrap.dedent("""
    import os
    from lms.media.ffmpeg import _parent_death_signal

    arm = _parent_death_signal()
    os.getppid = lambda: 1  # as if the process that forked us died before the signal was armed
    arm()
    print("survived", flush=True)
""")


def test_a_parent_that_dies_before_the_signal_is_armed_still_takes_ffmpeg_along():
    """If the worker dies between the fork and the prctl call (too early for the kernel to know),
    does the child notice its parent changed and stop instead of going on to run ffmpeg?"""
    done = subprocess.run([sys.executable, "-c", EARLY_DEATH], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "survived" not in done.stdout


def test_a_run_that_fails_kills_its_whole_process_group():
    """When ffmpeg is stopped by an exception in the job (a progress callback raising, as a job
    taken over by another worker does), is nothing of its process group left running?"""
    seen: dict[int, int] = {}

    class Stop(Exception):
        pass

    def progress(_block):
        seen.update({pid: start for pid, start in children(os.getpid()).items() if is_ffmpeg(pid)})
        raise Stop

    spec = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "600", "-f", "null", "-"]
    # lavfi is refused as an input by ffmpeg_argv; call the runner below it with a known argv.
    with pytest.raises(Stop):
        wrapper.run([wrapper.ffmpeg_bin(), "-nostdin", "-v", "error", "-progress", "pipe:1", *spec], timeout=60,
                    on_progress=progress)
    assert seen, "no ffmpeg was running when the callback raised"
    assert not survivors(seen)
