"""Every /api/v1 endpoint × every role: the same answers as the pages (stranger 404, wrong role 403)."""
from __future__ import annotations

import pytest

from tests.api.conftest import ROLES, STAFF


def _ids(response):
    return [item["id"] for item in response.get_json()["items"]]


@pytest.mark.parametrize("role", ROLES)
def test_circles_i_belong_to(world, api, role):
    """Which circles does each person's token list? Members see the class; a stranger and an org admin
    (who oversees it without belonging) do not."""
    response = api(world.user(role), "/circles")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    if role in ("stranger", "orgadmin", "admin"):
        assert body["items"] == []
    else:
        [item] = body["items"]
        assert item["id"] == world.circle.id and item["my_role"] == role and item["kind"] == "teaching"


@pytest.mark.parametrize("role", ROLES)
def test_one_circle(world, api, role):
    """Can each role read the circle itself? Everyone who sees its pages; a stranger gets 404."""
    response = api(world.user(role), f"/circles/{world.circle.id}")
    if role == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.get_json()["my_role"] == (None if role in ("orgadmin", "admin") else role)


@pytest.mark.parametrize("role", ROLES)
def test_roster(world, api, role):
    """Who reads the roster, with real names and numbers? Staff and the org admin; a student 403, a stranger 404."""
    response = api(world.user(role), f"/circles/{world.circle.id}/members")
    expected = 200 if role in STAFF else 404 if role == "stranger" else 403
    assert response.status_code == expected
    if expected == 200:
        items = response.get_json()["items"]
        assert {m["role"] for m in items} == {"owner", "teacher", "assistant", "student"}
        student = next(m for m in items if m["user_id"] == world.user("student").id)
        assert student["display_name"] == "Student In Class"
        assert set(student) == {"membership_id", "user_id", "display_name", "real_name", "student_no", "role",
                                "joined_at"}


@pytest.mark.parametrize("role", ROLES)
def test_assignments(world, api, role):
    """Which assignments does each role see? Staff the draft too; the student the published one only."""
    response = api(world.user(role), f"/circles/{world.circle.id}/assignments")
    if role == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    expected = {world.published.id} | ({world.draft.id} if role in STAFF else set())
    assert set(_ids(response)) == expected


@pytest.mark.parametrize("role", ROLES)
def test_one_assignment_draft(world, api, role):
    """Is a draft assignment 404 for a student as on the pages?"""
    response = api(world.user(role), f"/circles/{world.circle.id}/assignments/{world.draft.id}")
    assert response.status_code == (200 if role in STAFF else 404)


@pytest.mark.parametrize("role", ROLES)
def test_submissions(world, api, role):
    """Whose submissions does each role list? Staff every version; the student their own two; a stranger 404."""
    response = api(world.user(role), f"/circles/{world.circle.id}/assignments/{world.published.id}/submissions")
    if role == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    own = {s.id for s in world.own_submissions}
    assert set(_ids(response)) == (own | {world.other_submission.id} if role in STAFF else own)


def test_submissions_carry_no_media_addresses(world, api, hw):
    """Does a submission's entry hold any URL, storage key or file name? It must not."""
    video = hw.assignment(world.circle, title="Film it")
    hw.submission(video, world.user("student"))
    response = api(world.user("owner"), f"/circles/{world.circle.id}/assignments/{video.id}/submissions")
    [item] = response.get_json()["items"]
    assert item["has_video"] is True
    text = response.get_data(as_text=True)
    assert "/media" not in text and ".webm" not in text and "key" not in text
    assert item["student"] == {"user_id": world.user("student").id, "display_name": "Student In Class"}


@pytest.mark.parametrize("role", ROLES)
def test_grades(world, api, role):
    """Which grades does each role read? Staff both (released or not); the student their released one."""
    response = api(world.user(role), f"/circles/{world.circle.id}/assignments/{world.published.id}/grades")
    if role == "stranger":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    items = response.get_json()["items"]
    if role in STAFF:
        assert {g["id"]: g["is_released"] for g in items} == {world.released.id: True, world.unreleased.id: False}
    else:
        [grade] = items
        assert grade["id"] == world.released.id and grade["score"] == 90


def test_classmate_sees_no_unreleased_grade(world, api):
    """Does the classmate, whose grade is not released, read any grade? No."""
    response = api(world.user("classmate"), f"/circles/{world.circle.id}/assignments/{world.published.id}/grades")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_assignment_of_another_circle_is_404(world, api, make, hw):
    """Is an assignment id of another circle, asked through this one, 404 even for its owner? Yes."""
    other = make.circle(owner=world.user("owner"))
    elsewhere = hw.assignment(other)
    response = api(world.user("owner"), f"/circles/{world.circle.id}/assignments/{elsewhere.id}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_cursor_pagination_walks_the_roster(world, api, make):
    """Does paging by cursor give every member once, in pages of the limit asked?"""
    for _ in range(5):
        make.member(world.circle)
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api(world.user("owner"), f"/circles/{world.circle.id}/members", query_string=query).get_json()
        assert len(body["items"]) <= 3
        seen += [m["membership_id"] for m in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10 and pages == 4


@pytest.mark.parametrize("query", [{"cursor": "not-a-cursor"}, {"limit": "0"}, {"limit": "101"}, {"limit": "x"}])
def test_bad_paging_is_400(world, api, query):
    """Is a forged cursor or a limit out of range a 400 problem, not a crash?"""
    response = api(world.user("owner"), "/circles", query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/circles", "/circles/{c}/members", "/circles/{c}/assignments",
                                  "/circles/{c}/assignments/{a}/submissions", "/circles/{c}/assignments/{a}/grades"])
def test_lists_cost_a_fixed_number_of_queries(world, api, token_for, make, hw, grading, count_queries, path):
    """Does a list cost the same number of queries for 4 students as for 12 (no query per row)?"""
    secret = token_for(world.user("owner"))
    path = path.format(c=world.circle.id, a=world.published.id)
    api(secret, path)  # the token's last use is written once a minute: not counted below

    def count() -> int:
        with count_queries:
            assert api(secret, path).status_code == 200
        return count_queries.count

    before = count()
    for _ in range(8):
        student = make.member(world.circle).user
        hw.submission(world.published, student, text="work")
        grading.grade(world.published, student, world.user("owner"), score=50, release=True)
    assert count() == before
