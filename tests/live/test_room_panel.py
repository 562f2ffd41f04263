"""The room panel on the lesson page: what each person's page carries (the server checks every event anyway)."""
from __future__ import annotations

import re

import pytest

from lms.live.models import LessonState
from tests.live.room_support import make_lesson


def _page(client, lesson) -> str:
    response = client.get(f"/c/{lesson.circle_id}/live/{lesson.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _panel(html: str) -> str:
    return re.search(r"<aside class=\"live-room\".*?</aside>", html, re.S).group(0)


@pytest.mark.parametrize("who, host", [("student", False), ("teacher", True), ("assistant", True), ("owner", True)])
def test_host_controls_only_on_hosts_pages(klass, client_as, who, host):
    lesson = make_lesson(klass.circle, klass.teacher)
    html = _page(client_as(getattr(klass, who)), lesson)
    panel = _panel(html)
    assert f'data-lesson-id="{lesson.id}"' in panel and f'data-circle-id="{lesson.circle_id}"' in panel
    assert ('data-host="1"' in panel) is host
    for marker in ("data-poll-form", "data-moderation", 'data-list="hands"', "data-mute-all", "data-slow-mode"):
        assert (marker in panel) is host, marker
    for marker in ('data-compose="chat"', 'data-compose="question"', "data-hand", "data-like", "data-poll"):
        assert marker in panel


def test_the_panel_has_no_inline_script(klass, client_as):
    lesson = make_lesson(klass.circle, klass.teacher)
    html = _page(client_as(klass.student), lesson)
    assert "js/live/room.js" in html and "css/live.css" in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag


@pytest.mark.parametrize("state", [LessonState.ended, LessonState.cancelled])
def test_a_closed_lesson_has_no_room(klass, client_as, state):
    lesson = make_lesson(klass.circle, klass.teacher, state=state)
    html = _page(client_as(klass.student), lesson)
    assert "data-live-room" not in html and "js/live/room.js" not in html


def test_an_ended_lesson_whose_replay_is_being_made_follows_it(klass, client_as):
    """The page of a lesson whose replay is processing carries a hidden follower (no room), so the player hears
    when the replay is ready."""
    lesson = make_lesson(klass.circle, klass.teacher, state=LessonState.ended, replay_state="processing")
    html = _page(client_as(klass.student), lesson)
    assert "js/live/room.js" in html and "data-follow" in html
    assert 'data-live-room data-follow' in html and "data-compose" not in html
