"""One list of job queues: every producer names one of them, and the documented worker serves them all."""
from __future__ import annotations

import email
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lms.config import TestConfig
from lms.core.mail import send_mail
from lms.extensions import db
from lms.jobs import Queue, enqueue_after_commit
from tests.fixtures.app import create_isolated_app
from tests.fixtures.live import ROOT
from tests.fixtures.services import live_redis

#: The line of the README's production section that starts the job workers.
WORKER_LINE = re.compile(r"^flask --app wsgi jobs worker\b.*$", re.M)


def documented_worker_command() -> list[str]:
    """The worker command exactly as the README's production section gives it."""
    [line] = WORKER_LINE.findall((ROOT / "README.md").read_text())
    return shlex.split(line)


def test_queues_are_served_mail_first_and_named_with_one_prefix(app):
    """Is there one list of queues, in priority order, each named <site prefix>-<purpose> in Redis?"""
    assert list(Queue) == [Queue.mail, Queue.default, Queue.media, Queue.later]
    prefix = app.config["REDIS_PREFIX"]
    assert [q.redis_name(app) for q in Queue] == [f"{prefix}-mail", f"{prefix}-default", f"{prefix}-media",
                                                  f"{prefix}-later"]
    assert Queue.parse(f"media, {prefix}-default,media") == [Queue.media, Queue.default]


def test_a_producer_cannot_name_a_queue_no_worker_reads(app):
    """Does enqueueing on a name outside the list fail at once, in the request, not silently in Redis?"""
    with pytest.raises(ValueError):
        enqueue_after_commit("lms.core.mail:deliver", "a@example.org", "s", "b", queue="mails")
    db.session.rollback()


def test_mail_and_media_jobs_go_to_their_queues(app, monkeypatch):
    """Do mail and processing jobs name queues of the list (mail on Queue.mail)?"""
    seen = []
    backend = app.extensions["lms_jobs"]
    monkeypatch.setattr(backend, "enqueue", lambda path, args, queue, **options: seen.append((path, queue)))
    with app.test_request_context():
        send_mail("a@example.org", "Hello", "accounts/reset_password", link="https://x/", minutes=60,
                  user={"name": "A"})
        db.session.commit()
    assert seen and all(queue in list(Queue) for _path, queue in seen)
    assert seen[0] == ("lms.core.mail:deliver", Queue.mail)


def test_worker_refuses_an_unknown_queue(app):
    """Does `flask jobs worker --queues` refuse a name that is not a queue, saying which ones are?"""
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--queues", "media,mails"])
    assert result.exit_code == 2
    assert "unknown queue 'mails'" in result.output and "mail, default, media" in result.output


def test_the_documented_command_serves_every_queue():
    """Does the README's worker command leave the queues to the default (every queue)?"""
    command = documented_worker_command()
    assert command[:5] == ["flask", "--app", "wsgi", "jobs", "worker"]
    assert "--queues" not in command


# -- the documented production set-up on the real Redis -------------------------------------------

@pytest.fixture
def rq_app(app, tmp_path):
    """The test app's database and storage, with jobs sent to the real Redis (as in production)."""
    url = live_redis()

    class Config(TestConfig):
        INSTANCE_PATH = app.config["INSTANCE_PATH"]
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        STORAGE_ROOT = app.config["STORAGE_ROOT"]
        SECRET_KEY = app.config["SECRET_KEY"]
        JOBS_BACKEND = "rq"
        REDIS_URL = url
        MAIL_DIR = str(tmp_path / "mail")

    application = create_isolated_app(Config)
    application.test_client_class = app.test_client_class
    yield application
    with application.app_context():
        db.engine.dispose()


def _start_documented_worker(rq_app, log_path: Path) -> subprocess.Popen:
    command = documented_worker_command()
    env = {
        **os.environ,
        "LMS_JOBS_BACKEND": "rq",
        "LMS_REDIS_URL": rq_app.config["REDIS_URL"],
        "LMS_SECRET_KEY": rq_app.config["SECRET_KEY"],
        "LMS_SQLALCHEMY_DATABASE_URI": rq_app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_STORAGE_ROOT": rq_app.config["STORAGE_ROOT"],
        "LMS_MAIL_DIR": rq_app.config["MAIL_DIR"],
        # the same site as the app (README: every process gets the same LMS_* environment), so the
        # same Redis prefix and queue names
        "LMS_SERVER_NAME": rq_app.config["SERVER_NAME"],
    }
    with open(log_path, "ab") as log:
        # `flask` as installed beside this interpreter, as the README runs it from the virtualenv
        return subprocess.Popen([str(Path(sys.executable).parent / command[0]), *command[1:]], cwd=ROOT, env=env,
                                start_new_session=True, stdout=log, stderr=log)


def _stop(worker: subprocess.Popen) -> None:
    """Ask the worker to finish (SIGTERM, as a service manager does); kill it if it does not."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    except ProcessLookupError:
        worker.wait()


def _wait_for_mail(folder: Path, address: str, timeout: float) -> email.message.Message | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes())
            if message["To"] == address:
                return message
        time.sleep(0.2)
    return None


def test_documented_worker_delivers_a_password_reset_from_redis(rq_app, make, tmp_path):
    """With LMS_JOBS_BACKEND=rq, does the worker started exactly as the README says deliver the
    password-reset mail that a request through the app queued in Redis?"""
    make.user(email="reset@example.org")
    client = rq_app.test_client()
    log_path = tmp_path / "worker.log"
    worker = _start_documented_worker(rq_app, log_path)
    try:
        response = client.post("/password/forgot", data={"email": "reset@example.org"})
        assert response.status_code == 302
        message = _wait_for_mail(Path(rq_app.config["MAIL_DIR"]), "reset@example.org", timeout=60)
        assert worker.poll() is None, log_path.read_text()[-3000:]
    finally:
        _stop(worker)
    assert message is not None, f"no mail after 60 s; worker log:\n{log_path.read_text()[-3000:]}"
    assert "Reset your Circles password" in message["Subject"]
    assert "/password/reset/" in message.get_payload(decode=True).decode()


#: the README's plain RQ worker line
RQ_WORKER_LINE = 'rq worker --url "$LMS_REDIS_URL" $(flask --app wsgi jobs queues)'


def test_the_documented_rq_worker_line_delivers_a_password_reset(rq_app, make, tmp_path):
    """Does the README's plain `rq worker` line, run by the shell as written (with --burst so it ends
    once the queues are empty), deliver the password-reset mail a request queued in Redis?"""
    make.user(email="plain-rq@example.org")
    assert rq_app.test_client().post("/password/forgot", data={"email": "plain-rq@example.org"}).status_code == 302
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "LMS_JOBS_BACKEND": "rq",
           "LMS_REDIS_URL": rq_app.config["REDIS_URL"], "LMS_SECRET_KEY": rq_app.config["SECRET_KEY"],
           "LMS_SQLALCHEMY_DATABASE_URI": rq_app.config["SQLALCHEMY_DATABASE_URI"],
           "LMS_STORAGE_ROOT": rq_app.config["STORAGE_ROOT"], "LMS_MAIL_DIR": rq_app.config["MAIL_DIR"],
           "LMS_SERVER_NAME": rq_app.config["SERVER_NAME"]}
    done = subprocess.run(["bash", "-c", RQ_WORKER_LINE + " --burst"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    message = _wait_for_mail(Path(rq_app.config["MAIL_DIR"]), "plain-rq@example.org", timeout=5)
    assert message is not None, done.stderr[-3000:]
    assert "Reset your Circles password" in message["Subject"]


def test_the_documented_rq_worker_line_names_this_sites_queues(app):
    """Does the README's plain `rq worker` line take its queue names from `flask jobs queues`, which
    prints this site's prefixed names in priority order?"""
    readme = (ROOT / "README.md").read_text()
    assert RQ_WORKER_LINE in readme
    assert "rq worker lms-" not in readme
    result = app.test_cli_runner().invoke(args=["jobs", "queues"])
    assert result.exit_code == 0
    assert result.output.split() == [queue.redis_name(app) for queue in Queue]
    assert Queue.parse(",".join(result.output.split())) == list(Queue)
