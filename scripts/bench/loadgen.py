"""A bounded HTTP load generator for loopback benchmarks: wrk when it is installed, else Python.

The Python generator runs `processes` worker processes with `connections / processes` threads
each (few threads per process: busy threads fight over the GIL and send less); every thread
sends one GET per connection (the sync gunicorn worker closes after each response, as wrk also
sees) until the time is up. Only loopback addresses are accepted.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

COOKIE_ENV = "BENCH_COOKIE"
#: sent with every request: a browser keeps its user agent, and a session signed in under another
#: one is a changed browser to Flask-Login's session protection (which then rewrites the cookie)
USER_AGENT = "circles-bench"


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    tool: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _check_loopback(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is only ever sent to loopback, not {parts.hostname}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


def measure(url: str, *, seconds: float = 10.0, connections: int = 16, cookie: str | None = None,
            processes: int = 8, tool: str = "auto") -> Result:
    """Load `url` for `seconds` with `connections` concurrent clients; count 200 responses.

    `tool`: "wrk", "python", or "auto" (wrk when it is on PATH).
    """
    _check_loopback(url)
    if tool == "wrk" or (tool == "auto" and shutil.which("wrk")):
        return _wrk(url, seconds, connections, cookie)
    env = dict(os.environ, **({COOKIE_ENV: cookie} if cookie else {}))
    processes = min(processes, connections)
    per_process = max(1, connections // processes)
    workers = [
        subprocess.Popen([sys.executable, __file__, url, str(seconds), str(per_process)], env=env,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    ok = errors = 0
    for worker in workers:
        try:
            out, _ = worker.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            raise
        done, failed = (int(n) for n in out.split())
        ok += done
        errors += failed
    return Result(ok, errors, seconds, f"python ({processes} processes x {per_process} threads)")


def _wrk(url: str, seconds: float, connections: int, cookie: str | None) -> Result:
    threads = min(2, connections)  # wrk needs a connection per thread
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
               "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 30,
                         check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = bad + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
    return Result(total - bad, failed, elapsed, f"wrk ({threads} threads, {connections} connections)")


def _worker(url: str, seconds: float, threads: int) -> tuple[int, int]:
    host, port, path = _check_loopback(url)
    cookie = os.environ.get(COOKIE_ENV)
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
               + (f"Cookie: {cookie}\r\n" if cookie else "") + "Connection: close\r\n\r\n").encode()
    deadline = time.monotonic() + seconds
    counts = [[0, 0] for _ in range(threads)]

    def run(slot: list[int]) -> None:
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, port), timeout=5) as sock:
                    sock.sendall(request)
                    head = sock.recv(65536)
                    while sock.recv(65536):
                        pass
                slot[0 if head.startswith(b"HTTP/1.1 200") else 1] += 1
            except OSError:
                slot[1] += 1

    pool = [threading.Thread(target=run, args=(slot,)) for slot in counts]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


if __name__ == "__main__":
    done, failed = _worker(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
    print(done, failed)
