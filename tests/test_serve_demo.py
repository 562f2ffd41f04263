"""`scripts/run --demo` (scripts/serve.py): the periodic jobs start only once the demo school is loaded. Their first
round runs at once; on SQLite, a job writing while the demo's one long transaction held the database waited out
the busy timeout and failed with "database is locked" (the trash clean-up, on a first start)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SERVE = Path(__file__).resolve().parents[1] / "scripts" / "serve.py"


def _serve_module():
    spec = importlib.util.spec_from_file_location("serve_under_test", SERVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scheduler_starts_after_the_demo_is_loaded(app, monkeypatch, capsys):
    """Does `serve.py --demo` load the demo school before it starts the periodic jobs (and serve after both)?"""
    import lms.demo
    import lms.live.stage.local

    serve = _serve_module()
    order = []

    class Server:
        def serve_forever(self):
            order.append("serve")

    monkeypatch.setattr(serve, "create_app", lambda: app)
    monkeypatch.setattr(serve.jobs, "start_scheduler", lambda _app: order.append("scheduler"))
    monkeypatch.setattr(lms.demo, "load_and_describe", lambda: order.append("demo") or "the demo's accounts")
    monkeypatch.setattr(lms.live.stage.local, "start_local_janus", lambda _app, _host: None)
    monkeypatch.setattr(serve, "make_embedded_server", lambda host, port, _app: Server())
    monkeypatch.setattr(sys, "argv", ["serve.py", "--demo", "--port", "5999"])
    serve.main()
    assert order == ["demo", "scheduler", "serve"]
    assert "the demo's accounts" in capsys.readouterr().out
