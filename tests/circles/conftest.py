"""Fixtures for the circle tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def as_user(client_as):
    """A fresh client signed in as `user` (tests/fixtures/factories.py)."""
    return client_as
