"""Fixtures for the circle tests."""
from __future__ import annotations

import pytest

from tests.fixtures.factories import sign_in


@pytest.fixture
def as_user(app):
    """A fresh client signed in as `user`, for tests where several people act."""

    def _as(user):
        client = app.test_client()
        sign_in(client, user)
        return client

    return _as
