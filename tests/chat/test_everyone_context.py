"""'Everyone' names two things that Chinese words differently: the main chat channel (全体成员) and a filter tab
(全部): each is its own message, told apart by its context (pgettext), never one bare "Everyone"."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale, get_translations

from lms.chat import queries as q
from lms.chat.events import channel_list
from lms.moderation.kinds import _channel_label

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def contexts(app, monkeypatch):
    """A Chinese catalog that words the two contexts differently."""
    with app.test_request_context(), force_locale("zh_Hans"):
        catalog = get_translations()._catalog
        monkeypatch.setitem(catalog, "chat channel\x04Everyone", "全体成员")
        monkeypatch.setitem(catalog, "filter tab\x04Everyone", "全部")
        yield


def test_the_main_channel_is_named_in_the_chat_channel_context(world, contexts):
    """Do the chat's channel list and the review queue name the main channel with the chat channel's word?"""
    [main] = [c for c in channel_list(world.circle, q.reader_of(world.circle, world.user("student")))
              if c["kind"] == "main"]
    assert main["name"] == "全体成员"
    assert _channel_label(world.main) == "全体成员"


def test_the_filter_tabs_use_the_filter_context(app, contexts):
    """Do the check-in board's and the read receipts' "Everyone" tabs read as a filter (全部)?"""
    assert app.jinja_env.from_string('{{ pgettext("filter tab", "Everyone") }}').render() == "全部"
    for path in ("templates/checkins/board.html", "templates/feed/notices/receipts.html"):
        assert 'pgettext("filter tab", "Everyone")' in (ROOT / path).read_text()


def test_no_bare_everyone_is_left():
    """Is there no `_("Everyone")` without a context left in the templates, scripts or code?"""
    for folder, pattern in (("templates", "*.html"), ("lms", "*.py"), ("static/js", "*.js")):
        for path in (ROOT / folder).rglob(pattern):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert '_("Everyone")' not in text and '_l("Everyone")' not in text, path
