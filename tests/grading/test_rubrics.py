"""Rubrics and grade categories through HTTP: create, edit, validate, delete, who may."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.grading.models import Criterion, GradeCategory, Rubric
from tests.fixtures.app import page_text


def _rubric_form(title="Singing", criteria=(("Pitch", (("Spot on", "4"), ("Close", "2"), ("Off", "0"))),)):
    data = {"title": title}
    for n, (name, levels) in enumerate(criteria):
        data[f"criteria-{n}-title"] = name
        data[f"criteria-{n}-description"] = ""
        for m, (level, points) in enumerate(levels):
            data[f"criteria-{n}-levels-{m}-title"] = level
            data[f"criteria-{n}-levels-{m}-points"] = points
    return data


def test_teacher_creates_a_rubric_with_criteria_and_levels(klass, client_as):
    """Does a teacher's rubric keep its criteria, levels (best first) and total points?"""
    client = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/rubrics/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data=_rubric_form(criteria=(
        ("Pitch", (("Off", "0"), ("Spot on", "4"), ("Close", "2"))),
        ("Rhythm", (("Steady", "6"), ("Shaky", "1"))),
    )))
    assert response.status_code == 302
    rubric = db.session.scalar(db.select(Rubric))
    assert rubric.title == "Singing" and rubric.circle_id == klass.circle.id
    assert [c.title for c in rubric.criteria] == ["Pitch", "Rhythm"]
    assert [lv["title"] for lv in rubric.criteria[0].levels] == ["Spot on", "Close", "Off"]
    assert rubric.points == 10
    listing = page_text(client.get(f"/circles/{klass.circle.id}/rubrics"))
    assert "Singing" in listing and "Pitch · Rhythm" in listing


@pytest.mark.parametrize("data, message", [
    (_rubric_form(title=""), "This field is required."),
    (_rubric_form(criteria=()), "A rubric needs at least one criterion with levels."),
    (_rubric_form(criteria=(("Pitch", ()),)), "Give the criterion “Pitch” at least one level."),
    (_rubric_form(criteria=(("Pitch", (("", "3"),)),)), "Give every level a title."),
    (_rubric_form(criteria=(("Pitch", (("Good", "-1"),)),)), "Give every level between 0 and 10000 points."),
    (_rubric_form(criteria=(("Pitch", (("Good", "lots"),)),)), "Not a valid float value."),
    (_rubric_form(criteria=(("", (("Good", "3"),)),)), "Give this criterion a title."),
])
def test_invalid_rubrics_are_refused_with_a_reason(klass, client_as, data, message):
    """Is a rubric with a missing title, no criteria, a level without title or negative points refused, saying why?"""
    response = client_as(klass.owner).post(f"/circles/{klass.circle.id}/rubrics/new", data=data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(Rubric)) == 0


def test_add_a_criterion_row_without_saving(klass, client_as):
    """Does "Add a criterion" show the form again with what was typed and one more blank criterion?"""
    data = _rubric_form()
    data["more"] = "1"
    response = client_as(klass.owner).post(f"/circles/{klass.circle.id}/rubrics/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Pitch"' in html and 'name="criteria-1-title"' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Rubric)) == 0


def test_editing_keeps_criterion_ids_and_removes_left_out_ones(klass, client_as, grading):
    """When a rubric is edited, does a kept criterion keep its id (grades refer to it) and an emptied one go?"""
    rubric = grading.rubric(klass.circle, klass.owner)
    tone, rhythm = rubric.criteria
    tone_id, rhythm_id = tone.id, rhythm.id
    client = client_as(klass.teacher)
    page = client.get(f"/circles/{klass.circle.id}/rubrics/{rubric.id}")
    assert page.status_code == 200 and 'value="Tone"' in page.get_data(as_text=True)
    data = _rubric_form(title="Performance v2", criteria=(("Tone colour", (("Rich", "8"), ("Thin", "2"))),))
    data["criteria-0-id"] = str(tone_id)
    data["criteria-1-id"] = str(rhythm_id)  # a criterion row emptied by the teacher
    data["criteria-1-title"] = ""
    response = client.post(f"/circles/{klass.circle.id}/rubrics/{rubric.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    rubric = db.session.get(Rubric, rubric.id)
    assert rubric.title == "Performance v2"
    assert [(c.id, c.title, c.points) for c in rubric.criteria] == [(tone_id, "Tone colour", 8)]
    assert db.session.get(Criterion, rhythm_id) is None


def test_a_rubric_in_use_cannot_be_deleted(klass, client_as, grading, hw):
    """Is deleting a rubric that an assignment uses refused (and an unused one deleted)?"""
    used = grading.rubric(klass.circle, klass.owner, title="Used")
    unused = grading.rubric(klass.circle, klass.owner, title="Unused")
    hw.assignment(klass.circle, accepts="text", rubric_id=used.id, points=10)
    client = client_as(klass.owner)
    response = client.post(f"/circles/{klass.circle.id}/rubrics/{used.id}/delete", follow_redirects=True)
    assert "This rubric is used by 1 assignments." in page_text(response)
    assert client.post(f"/circles/{klass.circle.id}/rubrics/{unused.id}/delete").status_code == 302
    db.session.expire_all()
    assert [r.title for r in db.session.scalars(db.select(Rubric))] == ["Used"]


@pytest.mark.parametrize("role, status", [
    ("owner", 200), ("teacher", 200), ("admin", 200), ("assistant", 403), ("student", 403), ("stranger", 404),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_who_may_manage_rubrics(klass, client_as, grading, role, status, as_json):
    """Who may open the rubric pages: owner and teachers (and admins); assistants and students 403, strangers 404?"""
    rubric = grading.rubric(klass.circle, klass.owner)
    client = client_as(getattr(klass, role))
    headers = {"Accept": "application/json"} if as_json else {}
    for url in (f"/circles/{klass.circle.id}/rubrics", f"/circles/{klass.circle.id}/rubrics/{rubric.id}",
                f"/circles/{klass.circle.id}/grades/categories"):
        response = client.get(url, headers=headers)
        assert response.status_code == status, url
        if as_json and status != 200:
            assert response.get_json()["error"]["code"] == status
    posted = client.post(f"/circles/{klass.circle.id}/rubrics/{rubric.id}/delete")
    assert posted.status_code == (302 if status == 200 else status)


def test_a_rubric_of_another_circle_is_not_found(klass, client_as, grading, make):
    """Does a rubric id from another circle 404 even for a teacher of this circle?"""
    other = make.circle(klass.stranger)
    rubric = grading.rubric(other, klass.stranger)
    assert client_as(klass.owner).get(f"/circles/{klass.circle.id}/rubrics/{rubric.id}").status_code == 404


def test_categories_warn_when_weights_do_not_add_to_100(klass, client_as):
    """Are categories saved with their weights, with a warning until the weights add up to 100 %?"""
    client = client_as(klass.teacher)
    url = f"/circles/{klass.circle.id}/grades/categories"
    assert client.post(url, data={"name": "Homework", "weight": "40"}).status_code == 302
    page = page_text(client.get(url))
    assert "The weights add up to 40 %, not 100 %." in page
    assert "share the remaining 60 %" in page
    assert client.post(url, data={"name": "Exam", "weight": "60"}).status_code == 302
    assert "not 100 %" not in page_text(client.get(url))
    bad = client.post(url, data={"name": "Bonus", "weight": "120"})
    assert bad.status_code == 422 and "Number must be between 0 and 100." in page_text(bad)
    homework = db.session.scalar(db.select(GradeCategory).where(GradeCategory.name == "Homework"))
    edit = client.post(f"{url}/{homework.id}", data={f"c{homework.id}-name": "Homework", f"c{homework.id}-weight": "30"})
    assert edit.status_code == 302
    assert "The weights add up to 90 %, not 100 %." in page_text(client.get(url))
    assert client.post(f"{url}/{homework.id}/delete").status_code == 302
    db.session.expire_all()
    assert [c.name for c in db.session.scalars(db.select(GradeCategory))] == ["Exam"]
