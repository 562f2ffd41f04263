"""The circle-wide gradebook endpoint (every role), 404s that name what was not found, problem titles in the
reader's language, and the token page's short words with their context."""
from __future__ import annotations

import io

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from tests.api.conftest import ROLES, STAFF
from tests.fixtures.app import page_text


@pytest.mark.parametrize("role", ROLES)
def test_gradebook(world, api, role):
    """Staff read every student's row; a student their own row with released grades only; a stranger 404."""
    response = api(world.user(role), f"/circles/{world.circle.id}/gradebook")
    if role == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [a["id"] for a in body["assignments"]] == [world.published.id]  # drafts are no column
    rows = {row["student"]["user_id"]: row for row in body["rows"]}
    student, classmate = world.user("student").id, world.user("classmate").id
    if role in STAFF:
        assert {student, classmate} <= set(rows)
        assert rows[classmate]["cells"][0]["final_score"] == 70
        assert rows[classmate]["cells"][0]["is_released"] is False
    elif role == "student":
        assert list(rows) == [student]
        assert rows[student]["cells"][0]["final_score"] == 90
    else:  # the classmate: their own row, the unreleased grade not shown
        assert list(rows) == [classmate]
        assert rows[classmate]["cells"][0]["final_score"] is None


def test_gradebook_needs_the_grades_scope(world, api, token_for):
    path = f"/circles/{world.circle.id}/gradebook"
    assert api(token_for(world.user("owner"), scopes=["circles:read"]), path).status_code == 403
    assert api(token_for(world.user("owner"), scopes=["grades:read"]), path).status_code == 200


def test_gradebook_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/circles/{circle_id}/gradebook" in paths or "/circles/{circle_id}/gradebook" in paths


def test_404_names_the_resource(world, api, make, hw):
    """A 404 says which kind of thing was not found, not "page"."""
    missing_circle = api(world.user("owner"), "/circles/999999").get_json()
    assert missing_circle["status"] == 404 and "circle" in missing_circle["detail"]
    assert "page" not in missing_circle["detail"]
    other = hw.assignment(make.circle(owner=world.user("owner")))
    missing = api(world.user("owner"), f"/circles/{world.circle.id}/assignments/{other.id}").get_json()
    assert "assignment" in missing["detail"] and "page" not in missing["detail"]
    assert missing["title"] == "Not Found"


def test_an_address_no_view_answers_is_a_resource_404(world, api):
    body = api(world.user("owner"), "/no-such-thing").get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["detail"] == "There is no such resource here."


@pytest.fixture
def chinese_titles(monkeypatch):
    """A catalog with the problem titles in Chinese, used whenever the request's language is Chinese."""
    catalog = Catalog(locale="zh_Hans")
    for english, chinese in (("Not Found", "未找到"), ("Unauthorized", "未认证")):
        catalog.add(english, chinese)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(fp=buffer)

    def get_translations(self):
        return translations if str(flask_babel.get_locale()) == "zh_Hans" else NullTranslations()

    monkeypatch.setattr(flask_babel.Domain, "get_translations", get_translations)


def test_problem_titles_follow_accept_language(world, api, client, chinese_titles):
    assert client.get("/api/v1/circles").get_json()["title"] == "Unauthorized"
    assert client.get("/api/v1/circles", headers={"Accept-Language": "zh-CN"}).get_json()["title"] == "未认证"
    body = api(world.user("owner"), "/circles/999999", headers={"Accept-Language": "zh-CN"}).get_json()
    assert body["title"] == "未找到"


def test_token_page_never_and_active_have_a_context(klass, login, token_for, monkeypatch):
    """"Never" (last used) and "Active" (a token's state) go through pgettext with a context, so the
    translator can tell them from "Never" (expires) and "Active" (a member)."""
    token_for(klass.student)
    asked = []
    real = flask_babel.pgettext

    def spy(context, string, **variables):
        asked.append((context, string))
        return real(context, string, **variables)

    client = login(klass.student)
    monkeypatch.setattr(client.application.jinja_env, "globals", {**client.application.jinja_env.globals,
                                                                  "pgettext": spy})
    text = page_text(client.get("/profile/api-tokens"))
    assert "Never" in text and "Active" in text
    assert ("token last used", "Never") in asked and ("token state", "Active") in asked
