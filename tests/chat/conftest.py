"""Fixtures of the chat tests."""
from __future__ import annotations

import pytest

from tests.chat.support import Page, World, make_world  # noqa: F401


@pytest.fixture
def world(make) -> World:
    return make_world(make)


@pytest.fixture
def page_of(app, client_as):
    """A chat page (Socket.IO client on /chat) signed in as `user`; closed after the test."""
    pages = []

    def _open(user):
        page = Page(app, client_as(user))
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
