"""The documented production set-up: its gunicorn masters each have their own control socket, and
scripts/prod-check (every documented process behind nginx, walked through) passes."""
from __future__ import annotations

import os
import re
import runpy
import shlex
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest
from gunicorn.config import Config as GunicornConfig

from tests.fixtures.services import database_url, live_redis, require_service

ROOT = Path(__file__).resolve().parent.parent
PROD_CHECK = ROOT / "scripts" / "prod-check"


def _prod_check_module():
    loader = SourceFileLoader("prod_check", str(PROD_CHECK))
    module = module_from_spec(spec_from_loader("prod_check", loader))
    loader.exec_module(module)
    return module


def _control_socket(command: str) -> str | None:
    """The control socket a documented gunicorn command opens, as gunicorn itself reads its options:
    the config file's `control_socket` (with an empty environment), then the command line, which wins;
    None when the socket is disabled."""
    words = shlex.split(command)
    while "=" in words[0]:
        words.pop(0)
    assert Path(words[0]).name == "gunicorn", command
    config = GunicornConfig()
    args = config.parser().parse_args(words[1:])
    if args.config:
        settings = runpy.run_path(str(ROOT / args.config))
        for name in ("control_socket", "control_socket_disable"):
            if name in settings:
                config.set(name, settings[name])
    for name, value in vars(args).items():
        if value is not None and name in config.settings and name != "config":
            config.set(name, value)
    return None if config.control_socket_disable else config.control_socket


def test_documented_gunicorn_masters_have_their_own_control_sockets(monkeypatch):
    """Does each gunicorn command of README "Production" (and deploy/*.conf.py) name a control socket
    of its own, none of them gunicorn's shared default?"""
    for name in ("LMS_UPLOADS_CONTROL_SOCKET", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    commands = _prod_check_module().documented_commands()
    sockets = {kind: _control_socket(commands[kind]) for kind in ("pages", "uploads", "socketio")}
    default = GunicornConfig().control_socket
    assert None not in sockets.values(), sockets
    assert default not in sockets.values(), sockets
    assert len(set(sockets.values())) == len(sockets), sockets
    assert "8001" in sockets["socketio"]  # a second Socket.IO process on another port gets another socket
    for conf in (ROOT / "deploy").glob("*.conf.py"):
        assert "control_socket" in runpy.run_path(str(conf)), f"{conf.name} leaves the shared default"


def test_documented_create_admin_runs_after_the_migration_without_a_prompt(app):
    """Is README "Production"'s `flask users create-admin` run after `db upgrade` and before any process
    starts, and does it, exactly as written, take its password from LMS_ADMIN_PASSWORD (no terminal)
    and create an administrator, which closes the first-run set-up?"""
    from lms.accounts.models import User
    from lms.extensions import db

    module = _prod_check_module()
    once = module.documented_commands()["once"]
    upgrade = next(i for i, c in enumerate(once) if "db upgrade" in c)
    create = next(i for i, c in enumerate(once) if "users create-admin" in c)
    assert upgrade < create
    env, words = module.split_command(once[create])
    assert env == {} and words[:3] == ["flask", "--app", "wsgi"] and "--password" not in words
    assert app.test_client().get("/").headers["Location"].endswith("/setup")
    password = "documented: correct horse battery staple"
    result = app.test_cli_runner().invoke(args=words[3:], env={"LMS_ADMIN_PASSWORD": password}, input="")
    assert result.exit_code == 0, result.output
    email = module.documented_admin_email(module.documented_commands())
    admin = db.session.scalar(db.select(User).where(User.email == email))
    assert admin is not None and admin.is_admin
    assert "/setup" not in app.test_client().get("/").headers.get("Location", "")
    # without the variable and without a terminal it refuses instead of waiting
    result = app.test_cli_runner().invoke(args=[w.replace(email, "other@example.org") for w in words[3:]], input="")
    assert result.exit_code != 0


def _nginx() -> str | None:
    return _prod_check_module().nginx_binary()


def test_prod_check_walks_the_documented_set_up():
    """Does scripts/prod-check start the documented processes behind nginx (PostgreSQL, Redis, moto
    as the bucket) and pass every step: sign-in, an upload straight to the bucket, processing on the
    worker, a live push through nginx, the video playing in chromium, a password-reset mail, a live
    lesson (browser ingest, room pushes, HLS) through nginx, LTI's URLs on the site's port, /readyz?
    It runs in the PostgreSQL pass of scripts/test (CI's second pass); on CI a missing nginx or service
    fails it."""
    url = database_url("")
    if not url.startswith("postgresql"):
        pytest.skip("runs in the PostgreSQL pass (LMS_TEST_DATABASE_URL)")
    nginx = _nginx()
    require_service("nginx", nginx is not None, "it is not installed (scripts/setup installs it)")
    redis_url = live_redis()
    done = subprocess.run(
        [sys.executable, str(PROD_CHECK), "--pg-url", url, "--redis-url", redis_url],
        cwd=ROOT, capture_output=True, text=True, timeout=1500, env={**os.environ, "PYTHONWARNINGS": ""})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "FAILED" not in done.stdout
    for step in ("flask users create-admin", "first-run set-up closed by users create-admin", "sign-in",
                 "upload straight to the bucket", "processing on the worker",
                 "live push from the worker through nginx", "password-reset mail",
                 "a circle's home page through nginx, teacher and student",
                 "live lesson through nginx: /live-ingest, /live pushes, HLS",
                 "LTI URLs under the site's scheme, host and port",
                 "pages master HUP: new workers, no request lost",
                 "jobs worker SIGTERM while idle, start again, a new upload processed",
                 "jobs worker SIGTERM mid-job: the job finishes, start again",
                 "/readyz at the end", "one control socket per gunicorn master"):
        assert f"ok     {step}" in done.stdout, output
    if os.access("/usr/bin/chromium", os.X_OK):  # scripts/test fails on CI without it
        assert "ok     a video with an HLS playlist plays in chromium" in done.stdout, output


def _locations(conf: str) -> dict[str, str]:
    """Each `location <path> { ... }` block of an nginx file (blocks there hold no nested braces)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"location\s+(\S+)\s*\{([^}]*)\}", conf)}


def test_nginx_configuration_works_on_any_port(tmp_path):
    """Does every location of deploy/nginx/circles.conf pass the Host as the browser sent it (with its
    port: `$host` drops it and the Socket.IO origin check then refuses every browser), the client and
    the scheme; /socket.io/ the WebSocket upgrade; /uploads unbuffered? And does nginx itself accept
    the two files (`nginx -t`, when nginx is installed; prod-check runs them on CI)?"""
    conf = (ROOT / "deploy" / "nginx" / "circles.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    assert "$host" not in code.replace("$http_host", "")
    locations = _locations(code)
    assert set(locations) == {"/socket.io/", "/uploads", "/"}
    for path, body in locations.items():
        for header in ("Host $http_host", "X-Forwarded-For $proxy_add_x_forwarded_for",
                       "X-Forwarded-Proto $scheme"):
            assert f"proxy_set_header {header};" in body, (path, header)
    assert "proxy_set_header Upgrade $http_upgrade;" in locations["/socket.io/"]
    assert "ip_hash;" in code.split("upstream circles_socketio", 1)[1].split("}", 1)[0]
    assert "proxy_request_buffering off;" in locations["/uploads"]
    assert "client_max_body_size 0;" in locations["/uploads"]

    nginx = _nginx()
    if nginx is None:
        return
    folder = tmp_path / "nginx"
    (folder / "tmp").mkdir(parents=True)
    for name in ("nginx.conf", "circles.conf"):
        (folder / name).write_text((ROOT / "deploy" / "nginx" / name).read_text())
    checked = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
