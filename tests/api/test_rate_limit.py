"""The API's rate limit counts per token."""
from __future__ import annotations

import pytest

from lms.api import limits


@pytest.fixture
def limited(app, monkeypatch):
    """The test app with its rate limits on; the counters start empty for every test."""
    monkeypatch.setitem(app.config, "RATE_LIMITING", True)
    return app


def test_a_token_past_its_limit_gets_429_and_another_does_not(limited, klass, api, token_for):
    """After the allowed requests a minute, is the next one a 429 problem with Retry-After, while a second
    token of the same person (a different script) still works?"""
    allowed = int(limits.API_REQUESTS.split()[0])
    first, second = token_for(klass.owner), token_for(klass.owner)
    for _ in range(allowed):
        assert api(first, "/circles").status_code == 200
    response = api(first, "/circles")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert api(second, "/circles").status_code == 200
