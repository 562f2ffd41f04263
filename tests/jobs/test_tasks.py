"""Every task is named once (lms.jobs.Task): producers and the schedule use that name, and each resolves."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from lms.config import Config, TestConfig
from lms.extensions import db
from lms.jobs import SCHEDULE, Queue, Task, enqueue_after_commit, resolve, task_path
from tests.fixtures.app import create_isolated_app

ROOT = Path(__file__).resolve().parents[2]
ENQUEUERS = {"enqueue", "enqueue_after_commit"}


@pytest.mark.parametrize("task", list(Task), ids=[t.name for t in Task])
def test_every_task_resolves_to_the_function_it_names(task):
    """Does each task's path import to a plain function of that module and name (so a worker can run it)?"""
    func = resolve(task)
    assert inspect.isfunction(func)
    assert task_path(func) == task


def test_the_schedule_names_only_tasks(app):
    """Is every periodic job of the default schedule a Task that resolves, and is it what an app runs?"""
    assert Config.PERIODIC_JOBS is None and SCHEDULE
    for path in SCHEDULE:
        assert isinstance(path, Task) and inspect.isfunction(resolve(path))
    assert app.config["PERIODIC_JOBS"] == SCHEDULE


def test_an_app_with_a_misspelt_periodic_job_does_not_start():
    """Does a scheduled path that is no task stop the app at start instead of never running?"""
    class Misspelt(TestConfig):
        PERIODIC_JOBS = {"lms.uploads.tasks:sweep_medias": 30}

    with pytest.raises(ValueError, match="unknown task"):
        create_isolated_app(Misspelt)


def test_enqueueing_an_unknown_task_fails_in_the_request(app):
    """Does a misspelt task path fail at once, before any commit, instead of in a worker later?"""
    with pytest.raises(ValueError, match="unknown task"):
        enqueue_after_commit("lms.core.mail:delivr", "a@example.org", "s", "b", queue=Queue.mail)
    db.session.rollback()


def _enqueue_calls():
    for path in sorted((ROOT / "lms").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name in ENQUEUERS:
                    yield path.relative_to(ROOT), node


def test_no_call_site_spells_a_task_path():
    """Does every enqueue in lms/ name its task by a constant or the function, never a string written there?"""
    calls = list(_enqueue_calls())
    assert calls, "found no enqueue call at all"
    spelt = [f"{path}:{node.lineno}" for path, node in calls
             if isinstance(node.args[0], ast.Constant) or isinstance(node.args[0], ast.JoinedStr)]
    assert spelt == []


def test_the_documented_periodic_command_runs_every_periodic_job_once(app):
    """Does `flask --app wsgi jobs periodic` (README "Production": run it from cron when workers are
    plain `rq worker`s) run every job of the schedule once, each named, and exit 0?"""
    readme = (ROOT / "README.md").read_text()
    assert "flask --app wsgi jobs periodic" in readme
    result = app.test_cli_runner().invoke(args=["jobs", "periodic"])
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[:-1] == [f"ran {path}" for path in app.config["PERIODIC_JOBS"]]
    assert len(app.config["PERIODIC_JOBS"]) == len(SCHEDULE)
