"""Live benchmark, chat fan-out: N Socket.IO clients in one lesson, the teacher posts chat messages; the same
messages broadcast by a bare Flask-SocketIO server to the same clients are the baseline (issue 14).

Both servers run as README "Production" runs Socket.IO: `gunicorn -k gevent -w 1 --worker-connections 2000`
(more when N needs it), Flask-SocketIO in gevent mode with simple-websocket, the Redis message queue on a
channel of the benchmark's own prefix (every emit is published to Redis and delivered by the process that
hears it back, as with several processes). The app's database is a temporary SQLite file; N students are
made as scripts/bench/socketio makes them (bulk insert, a server-side session and a signed cookie each;
its helpers are reused), all members of one circle with a lesson on air, plus its teacher.

- app: each client connects to namespace `/live` (WebSocket, its session cookie, the site's Origin) and
  `join`s the lesson (an attendance row each); the teacher's client sends `chat` {"body"}, which the app
  handles as a browser's would be (lms/live/events.py: the lesson reloaded through its circle, the
  teacher checked again, the message written and committed, its author's circle identity looked up),
  then `chat_message` goes to the lesson's room.
- bare: `bare_app()` below, a minimal Flask-SocketIO app under the same gunicorn/gevent/Redis
  configuration: clients `join` one room; the teacher's `chat` is broadcast to the room as the same message
  the app's clients receive (`chat_message` {"message": {"id", "kind", "body", "at", "offset", "author",
  "pinned", "answered"}}, the author as the app shows the teacher), so both servers send the same bytes to
  each client and R measures what the app adds, not a longer payload.

The same client processes (default 2, `--client-processes`, asyncio python-socketio AsyncClient over
WebSocket, started apart from this driver) hold both sets of N connections at once, and the messages
alternate app, bare, app, bare... (the order flips each round), each sent once the one before reached
every client, so both servers are measured under the same background load of this shared machine.
A delivery's time is from the moment the teacher's client emits (the send time travels in the body) to
the moment a client's handler runs, on the same machine's clock. p50 and p99 are over all deliveries of
all measured messages (warm-up messages excluded).

R = app p50 / bare p50. p50 because it is the wait of the typical student and is stable from run to run
here; p99 over N deliveries is set mostly by when the client processes, which share the 2 cores with both
servers and the rest of the machine, get to run (it is printed too, for both).
Also printed: each server worker's CPU time per message (from /proc), which is what the app adds to the
bare fan-out whatever the clients cost.

    scripts/bench/live_fanout.py [--clients 1000] [--messages 20] [--client-processes 2] [--redis URL]

scripts/bench/live runs this and then the camera-to-viewer delay, and prints the issue's last line.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

NAMESPACE = "/live"
BARE_ROOM = "lesson"
WARMUP = 2  # messages of each kind sent first and not counted (first publish, first JSON of each path)


def say(line: str) -> None:
    print(f"live: {line}", flush=True)


# -- the bare Flask-SocketIO server (gunicorn --chdir scripts/bench 'live_fanout:bare_app()') -------------------

def bare_app():
    """A minimal Flask-SocketIO app: `join` puts the connection in one room; `chat` {"body"} is broadcast to it
    in the app's message shape (its author from BENCH_BARE_AUTHOR, JSON). Same async mode, message queue and
    transport as the app's Socket.IO process; nothing else."""
    import itertools
    import json
    import time
    from datetime import datetime, timezone

    from flask import Flask
    from flask_socketio import SocketIO, emit, join_room

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="gevent", message_queue=os.environ["BENCH_BARE_REDIS_URL"],
                        channel=os.environ["BENCH_BARE_CHANNEL"], cors_allowed_origins="*")

    @app.get("/healthz")
    def healthz():
        return "ok"

    @socketio.on("join", namespace=NAMESPACE)
    def join(_data=None):
        join_room(BARE_ROOM)
        return {"ok": True}

    author = json.loads(os.environ["BENCH_BARE_AUTHOR"])
    ids = itertools.count(1)
    started = time.monotonic()

    @socketio.on("chat", namespace=NAMESPACE)
    def chat(data):
        message = {"id": next(ids), "kind": "chat", "body": data["body"],
                   "at": datetime.now(timezone.utc).isoformat(), "offset": time.monotonic() - started,
                   "author": author, "pinned": False, "answered": False}
        emit("chat_message", {"message": message}, to=BARE_ROOM, namespace=NAMESPACE)
        return {"ok": True, "id": message["id"]}

    return app


# -- the client processes ---------------------------------------------------------------------

def clients_process() -> None:
    """Reads its job as one JSON line on stdin: {"app": url, "bare": url, "cookies": [...], "join": {...}}.
    Connects one app and one bare client per cookie, prints `ready {...}`, then for each message, once every
    client of this process has it, `got {"kind", "seq", "ms": [...]}`. Stops at a `stop` line on stdin."""
    import asyncio
    import json
    import time

    import socketio

    job = json.loads(sys.stdin.readline())
    got: dict[tuple[str, int], list[float]] = {}
    joined = {"app": 0, "bare": 0}
    failed: list[str] = []
    clients = []

    def on_message(kind: str):
        async def handler(data):
            now = time.time()
            body = data["message"]["body"]
            _word, sent_kind, seq, sent = body.split()
            key = (sent_kind, int(seq))
            times = got.setdefault(key, [])
            times.append((now - float(sent)) * 1000)
            if len(times) == joined[sent_kind]:
                print("got " + json.dumps({"kind": sent_kind, "seq": int(seq), "ms": got.pop(key),
                                           "pid": os.getpid(), "others": others[sent_kind]}), flush=True)
        return handler

    # every other push a client hears (viewer counts, ...), by event, since it joined: what else its server sent
    others: dict[str, dict[str, int]] = {"app": {}, "bare": {}}

    def on_other(kind: str):
        async def handler(event, *_args):
            others[kind][event] = others[kind].get(event, 0) + 1
        return handler

    async def one(kind: str, cookie: str):
        client = socketio.AsyncClient(reconnection=False)
        client.on("chat_message", on_message(kind), namespace=NAMESPACE)
        client.on("*", on_other(kind), namespace=NAMESPACE)
        url = job[kind]
        try:
            await client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=60,
                                 headers={"Cookie": f"session={cookie}", "Origin": url})
            answer = await client.call("join", job["join"] if kind == "app" else {}, namespace=NAMESPACE, timeout=60)
            if not answer.get("ok"):
                raise RuntimeError(f"join refused: {answer}")
            clients.append(client)
            joined[kind] += 1
        except Exception as error:  # a benchmark counts failures and goes on
            failed.append(f"{kind}: {type(error).__name__}: {error}")
            await client.disconnect()

    async def main():
        # both kinds batch by batch: connections made while this process is busy connecting the others (late
        # pongs) are the same for both servers, not all of one kind's
        batch = 25
        cookies = job["cookies"]
        for start in range(0, len(cookies), batch):
            part = cookies[start:start + batch]
            await asyncio.gather(*(one(kind, c) for kind in ("app", "bare") for c in part))
        print("ready " + json.dumps({**joined, "failed": failed[:5], "failures": len(failed)}), flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() not in ("stop", ""):
            pass
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)

    asyncio.run(main())


# -- the driver -------------------------------------------------------------------------------

class Teacher:
    """The teacher's client: an asyncio python-socketio AsyncClient as the students' (WebSocket), on a loop of
    its own thread, driven by blocking calls from the driver."""

    def __init__(self):
        import asyncio
        import threading

        import socketio

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.client = socketio.AsyncClient(reconnection=False)

    def _wait(self, coroutine, timeout: float):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def connect(self, url: str, cookie: str) -> None:
        self._wait(self.client.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=30,
                                       headers={"Cookie": f"session={cookie}", "Origin": url}), 60)

    def call(self, event: str, data: dict, timeout: float) -> dict:
        return self._wait(self.client.call(event, data, namespace=NAMESPACE, timeout=timeout), timeout + 5)

    def disconnect(self) -> None:
        self._wait(self.client.disconnect(), 15)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _socketio_bench():
    """scripts/bench/socketio as a module (its build of N students with sessions, its /proc readers)."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("bench_socketio", str(HERE / "socketio"))
    spec = importlib.util.spec_from_loader("bench_socketio", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _lesson(bench, env: dict, student_ids: list[int]) -> dict:
    """A teacher's circle with the N students as members and a lesson on air; the teacher's cookie."""
    import sqlalchemy as sa

    from lms import create_app
    from lms.accounts.operations import register_user, start_session
    from lms.circles import operations as circle_ops
    from lms.circles.models import Circle, Membership, MembershipStatus, Role
    from lms.core.inputs import comparison_key
    from lms.core.types import utcnow
    from lms.extensions import db
    from lms.live import operations as live_ops
    from lms.live.models import IngestKind, LessonState

    app = create_app(bench.app_config(env))
    with app.app_context():
        teacher = register_user(f"teacher@{bench.DOMAIN}", "socketio-password-1", "Teacher")
        circle = circle_ops.create_circle(teacher, "Live fan-out")
        # the lesson before the members: nobody to notify of it
        lesson = live_ops.create_lesson(circle, teacher, title="Fan-out", starts_at=utcnow())
        now = utcnow()
        db.session.execute(sa.insert(Membership), [
            {"circle_id": circle.id, "user_id": uid, "role": Role.student, "status": MembershipStatus.active,
             "display_name": f"Student {n}", "display_key": comparison_key(f"Student {n}"), "joined_at": now,
             "joined_via": "added"} for n, uid in enumerate(student_ids)])
        db.session.execute(sa.update(Circle).where(Circle.id == circle.id)
                           .values(member_count=Circle.member_count + len(student_ids)))
        lesson.state, lesson.ingest, lesson.went_live_at = LessonState.live, IngestKind.browser, now
        serializer = app.session_interface.get_signing_serializer(app)
        cookie = serializer.dumps({"_user_id": start_session(teacher, user_agent="live bench", ip=None),
                                   "_fresh": True})
        db.session.commit()
        ids = {"circle_id": circle.id, "lesson_id": lesson.id}
        with app.test_request_context():  # the teacher as the app's chat messages show their author
            from lms.live.room import Participant, person
            author = person(Participant(lesson=lesson, user=teacher, host=True, muted=False))
        db.session.remove()
        db.engine.dispose()
    return {"teacher_cookie": cookie, "author": author, **ids}


def _gunicorn(args: list[str], env: dict, port: int, workdir: Path, name: str, connections: int,
              cwd: Path = ROOT) -> subprocess.Popen:
    log = open(workdir / f"{name}.log", "wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-k", "gevent", "-w", "1", "--worker-connections",
         str(connections), "-b", f"127.0.0.1:{port}", "--control-socket", str(workdir / f"gunicorn-{name}.ctl"),
         "--log-level", "warning", *args],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return server


def _wait_up(server: subprocess.Popen, url: str, log: Path) -> None:
    import time

    import requests

    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"a Socket.IO process did not start:\n{log.read_text()[-3000:]}")
        try:
            requests.get(f"{url}/healthz", timeout=5)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer") from None
            time.sleep(0.2)


def _stop(server: subprocess.Popen) -> None:
    import signal

    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(clients: int = 1000, messages: int = 20, processes: int = 2, redis_url: str | None = None,
        limit: float = 30.0) -> dict:
    """The fan-out measurement; prints figures as they come. Returns {"clients", "app": {...}, "bare": {...},
    "ratio"}, each side {"p50", "p99", "delivered", "expected", "cpu_ms"}."""
    import json
    import queue
    import shutil
    import tempfile
    import threading
    import time

    bench = _socketio_bench()
    redis_url = redis_url or os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    prefix = f"bench-live-{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="circles-live-fanout-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(LMS_SECRET_KEY=bench.SECRET, LMS_SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / 'lms.db'}",
               LMS_STORAGE_ROOT=str(workdir / "storage"), LMS_UPLOAD_DIR=str(workdir / "uploads"),
               LMS_RATELIMIT_ENABLED="false", LMS_REDIS_URL=redis_url, LMS_REDIS_PREFIX=prefix)
    started = time.time()
    ids, cookies = bench.build(env, clients)  # the settings go to create_app, not to os.environ
    built = _lesson(bench, env, ids)
    say(f"fan-out: {clients} students in one lesson, with sessions, in {time.time() - started:.1f} s; "
        f"{os.cpu_count()} cores")

    connections = max(2000, clients + 100)
    app_port, bare_port = bench.free_port(), bench.free_port()
    urls = {"app": f"http://127.0.0.1:{app_port}", "bare": f"http://127.0.0.1:{bare_port}"}
    servers = {
        "app": _gunicorn(["wsgi:app"], {**env, "LMS_SOCKETIO_ASYNC_MODE": "gevent"}, app_port, workdir, "app",
                         connections),
        "bare": _gunicorn(["live_fanout:bare_app()"], {**env, "BENCH_BARE_REDIS_URL": redis_url,
                                                       "BENCH_BARE_CHANNEL": f"{prefix}-bare-socketio",
                                                       "BENCH_BARE_AUTHOR": json.dumps(built["author"])},
                          bare_port, workdir, "bare", connections, cwd=HERE),
    }
    workers: list[subprocess.Popen] = []
    teachers: dict[str, Teacher] = {}
    try:
        for kind, server in servers.items():
            _wait_up(server, urls[kind], workdir / f"{kind}.log")
        pids = {kind: bench.worker_pid(server.pid) for kind, server in servers.items()}

        # the clients, in processes of their own
        inbox: queue.Queue = queue.Queue()
        share = [cookies[i::processes] for i in range(processes)]
        for part in share:
            worker = subprocess.Popen([str(VENV_PYTHON), __file__, "--clients-process"], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            worker.stdin.write(json.dumps({**urls, "cookies": part, "join": {
                "lesson_id": built["lesson_id"], "circle_id": built["circle_id"]}}) + "\n")
            worker.stdin.flush()
            workers.append(worker)
            threading.Thread(target=lambda w=worker: [inbox.put(line) for line in w.stdout], daemon=True).start()
        t0 = time.monotonic()
        joined = {"app": 0, "bare": 0}
        for _ in workers:
            line = inbox.get(timeout=600)
            if not line.startswith("ready "):
                raise SystemExit(f"a client process failed: {line}")
            ready = json.loads(line[6:])
            for kind in joined:
                joined[kind] += ready[kind]
            for failure in ready["failed"]:
                say(f"fan-out: a connection failed: {failure}")
        say(f"fan-out: {joined['app']} clients joined the lesson and {joined['bare']} the bare room "
            f"from {processes} processes in {time.monotonic() - t0:.1f} s")

        for kind in ("app", "bare"):
            teacher = Teacher()
            teachers[kind] = teacher
            teacher.connect(urls[kind], built["teacher_cookie"] if kind == "app" else cookies[0])
            answer = teacher.call("join", {"lesson_id": built["lesson_id"], "circle_id": built["circle_id"]}
                                  if kind == "app" else {}, timeout=30)
            if not answer.get("ok"):
                raise SystemExit(f"the teacher could not join ({kind}): {answer}")
        time.sleep(2)  # the joins' coalesced viewer pushes are over

        results = {kind: [] for kind in joined}
        expected = {kind: 0 for kind in joined}
        cpu = {kind: 0.0 for kind in joined}
        acks: dict[str, list[float]] = {kind: [] for kind in joined}
        # the other pushes the clients heard, by process: after the warm-up and at the end
        heard: dict[str, dict] = {kind: {} for kind in joined}
        heard_before: dict[str, dict] = {kind: {} for kind in joined}
        for seq in range(WARMUP + messages):
            order = ("app", "bare") if seq % 2 == 0 else ("bare", "app")
            line_parts = []
            for kind in order:
                cpu_before = bench.cpu_s(pids[kind])
                sent = time.time()
                answer = teachers[kind].call("chat", {"body": f"fanout {kind} {seq} {sent:.6f}"}, timeout=limit)
                ack_ms = (time.time() - sent) * 1000
                if not answer.get("ok"):
                    raise SystemExit(f"the teacher's message was refused ({kind}): {answer}")
                deliveries: list[float] = []
                reports = 0
                deadline = time.monotonic() + limit
                while reports < len(workers):
                    try:
                        line = inbox.get(timeout=max(0.01, deadline - time.monotonic()))
                    except queue.Empty:
                        break
                    if line.startswith("got "):
                        got = json.loads(line[4:])
                        if got["kind"] == kind and got["seq"] == seq:
                            deliveries += got["ms"]
                            reports += 1
                            heard[kind][got["pid"]] = got["others"]
                            if seq == WARMUP - 1:
                                heard_before[kind][got["pid"]] = got["others"]
                used = bench.cpu_s(pids[kind]) - cpu_before
                if seq >= WARMUP:
                    results[kind] += deliveries
                    expected[kind] += joined[kind]
                    cpu[kind] += used
                    acks[kind].append(ack_ms)
                if deliveries:
                    line_parts.append(f"{kind} {len(deliveries)}/{joined[kind]} p50 {percentile(deliveries, 50):.0f} "
                                      f"max {max(deliveries):.0f} ms")
                else:
                    line_parts.append(f"{kind} 0/{joined[kind]} (none within {limit:g} s)")
            say(f"fan-out message {seq + 1}{' (warm-up)' if seq < WARMUP else ''}: " + "; ".join(line_parts))

        summary = {"clients": joined["app"]}
        for kind in ("app", "bare"):
            values = results[kind] or [float("nan")]
            summary[kind] = {"p50": percentile(values, 50), "p99": percentile(values, 99),
                             "delivered": len(results[kind]), "expected": expected[kind],
                             "cpu_ms": cpu[kind] * 1000 / max(1, messages),
                             "ack_ms": percentile(acks[kind] or [float("nan")], 50)}
            s = summary[kind]
            other = {}
            for pid, events in heard[kind].items():
                for event, n in events.items():
                    other[event] = other.get(event, 0) + n - heard_before[kind].get(pid, {}).get(event, 0)
            other_text = ", ".join(f"{n} {event}" for event, n in sorted(other.items()) if n) or "none"
            say(f"fan-out {kind}: {s['delivered']} of {s['expected']} deliveries, p50 {s['p50']:.0f} ms, "
                f"p99 {s['p99']:.0f} ms; worker CPU {s['cpu_ms']:.1f} ms a message; the teacher's ack "
                f"p50 {s['ack_ms']:.0f} ms; other pushes heard by the clients meanwhile: {other_text}")
        summary["ratio"] = summary["app"]["p50"] / summary["bare"]["p50"]
        return summary
    finally:
        for teacher in teachers.values():
            try:
                teacher.disconnect()
            except Exception:  # the benchmark is over either way
                pass
        for worker in workers:
            try:
                worker.stdin.write("stop\n")
                worker.stdin.close()
                worker.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                worker.kill()
                worker.wait()
        for server in servers.values():
            _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


def stop_on_term() -> None:
    """A TERM (e.g. `timeout`) stops the run through its `finally`, which stops the servers (sessions of their
    own, which would outlive the driver) and the client processes."""
    import signal

    def _term(_signum, _frame):
        raise SystemExit("stopped (TERM)")

    signal.signal(signal.SIGTERM, _term)


def fanout_line(summary: dict) -> str:
    app, bare = summary["app"], summary["bare"]
    return (f"{summary['clients']:,} clients, chat delivered to all in p50 {app['p50']:.0f} ms / p99 "
            f"{app['p99']:.0f} ms = {summary['ratio']:.2f}× bare Flask-SocketIO (p50 {bare['p50']:.0f} ms / "
            f"p99 {bare['p99']:.0f} ms)")


def main() -> int:
    import argparse

    if len(sys.argv) > 1 and sys.argv[1] == "--clients-process":
        clients_process()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="measured messages per server")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--redis", default=None, help="Redis for both message queues (default "
                        "LMS_BENCH_REDIS_URL or redis://127.0.0.1:6379/12; pub/sub only, channels of its own)")
    args = parser.parse_args()
    stop_on_term()
    summary = run(args.clients, args.messages, args.client_processes, args.redis)
    say(fanout_line(summary))
    return 0


if __name__ == "__main__":
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() and VENV_PYTHON.exists():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
