"""Editing a term's name and dates (the checks of a new term, archived terms too) and deleting a term without
classes, by the organization's admins only, each audited."""
from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from lms.audit.details import detail_lines
from lms.audit.models import AuditAction, AuditEvent
from lms.circles import operations as circle_ops
from lms.circles.models import Circle
from lms.extensions import db
from lms.orgs.console import terms as term_ops
from lms.orgs.models import Term
from tests.fixtures.app import page_text
from tests.orgs.school import build_school

AUTUMN = {"name": "Autumn 2026", "starts_on": "2026-09-01", "ends_on": "2026-12-20"}


@pytest.fixture
def terms(school):
    """Hill School has "Autunm 2026" (a typo; 1 Sept to 20 Dec, its existing class in it) and "Spring 2027"
    (no classes)."""
    autumn = term_ops.create_term(school.org, "Autunm 2026", date(2026, 9, 1), date(2026, 12, 20))
    spring = term_ops.create_term(school.org, "Spring 2027", date(2027, 1, 12), date(2027, 6, 30))
    school.klass.term_id = autumn.id
    db.session.commit()
    return autumn, spring


def _events(action) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def _term(term_id: int) -> Term | None:
    db.session.expire_all()
    return db.session.get(Term, term_id)


def _edit(client, school, term, **data):
    return client.post(f"/orgs/{school.org.id}/terms/{term.id}/edit", data={**AUTUMN, **data})


def test_an_admin_mends_a_terms_name_and_dates(client, login, school, terms):
    """Does the admin correct the term's name and last day from its page, audited with what changed (and
    nothing recorded for a save that changes nothing)?"""
    autumn, _spring = terms
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/terms/{autumn.id}").get_data(as_text=True)
    assert f'action="/orgs/{school.org.id}/terms/{autumn.id}/edit"' in page and 'value="Autunm 2026"' in page
    response = _edit(client, school, autumn, ends_on="2026-12-22")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/terms/{autumn.id}")
    term = _term(autumn.id)
    assert (term.name, term.starts_on, term.ends_on) == ("Autumn 2026", date(2026, 9, 1), date(2026, 12, 22))
    [event] = _events(AuditAction.term_changed)
    assert event.actor_id == school.admin.id and event.org_id == school.org.id and event.target_id == autumn.id
    assert event.details == {"term": "Autumn 2026", "name": {"from": "Autunm 2026", "to": "Autumn 2026"},
                             "ends_on": {"from": "2026-12-20", "to": "2026-12-22"}}
    assert "The term's name and dates were saved." in page_text(client.get(response.headers["Location"]))
    assert _edit(client, school, autumn, ends_on="2026-12-22").status_code == 302
    assert len(_events(AuditAction.term_changed)) == 1


@pytest.mark.parametrize("data, message", [
    ({"ends_on": "2026-08-01"}, "A term cannot end before it starts."),
    ({"name": "SPRING 2027"}, "The organization already has a term named SPRING 2027."),
    ({"name": "  "}, "Give the term a name."),
    ({"name": "Autumn\n2026"}, None),
    ({"starts_on": ""}, "Enter the term's first day."),
])
def test_an_edit_is_checked_as_a_new_term_is(client, login, school, terms, data, message):
    """Is an edit refused for the reasons (and with the words) a new term is, the form coming back as typed and
    the term as it was?"""
    autumn, _spring = terms
    login(school.admin)
    response = _edit(client, school, autumn, **data)
    assert response.status_code == 422
    if message:
        assert message in page_text(response)
    assert 'value="SPRING 2027"' in response.get_data(as_text=True) or data.get("name") != "SPRING 2027"
    term = _term(autumn.id)
    assert (term.name, term.starts_on, term.ends_on) == ("Autunm 2026", date(2026, 9, 1), date(2026, 12, 20))
    assert not _events(AuditAction.term_changed)


def test_update_term_and_create_term_refuse_alike(school, terms):
    """Does the operation refuse an edit with the very message create_term gives for the same name and dates?"""
    autumn, _spring = terms
    for name, first, last in (("Spring 2027", date(2027, 1, 1), date(2027, 2, 1)),
                              ("Summer", date(2027, 8, 1), date(2027, 7, 1)), ("", date(2027, 7, 1), date(2027, 8, 1)),
                              ("Two\nlines", date(2027, 7, 1), date(2027, 8, 1))):
        with pytest.raises(term_ops.TermError) as new:
            term_ops.create_term(school.org, name, first, last)
        with pytest.raises(term_ops.TermError) as edited:
            term_ops.update_term(autumn, school.admin, name, first, last)
        assert str(edited.value) == str(new.value)
    assert autumn.name == "Autunm 2026" and not _events(AuditAction.term_changed)


def test_a_term_keeps_its_own_name_in_another_case(client, login, school, terms):
    """May a term be renamed to its own name in other letters' case (not a clash with itself)?"""
    autumn, _spring = terms
    login(school.site_admin)
    assert _edit(client, school, autumn, name="AUTUNM 2026").status_code == 302
    assert _term(autumn.id).name == "AUTUNM 2026"


def test_an_archived_terms_dates_can_still_be_mended(client, login, school, terms):
    """Can the admin change an archived term's name and dates (as Canvas lets admins at any time), its classes
    staying archived and the term archived?"""
    autumn, _spring = terms
    term_ops.archive_term(autumn)
    db.session.commit()
    login(school.admin)
    assert _edit(client, school, autumn, starts_on="2026-08-31").status_code == 302
    term = _term(autumn.id)
    assert term.starts_on == date(2026, 8, 31) and term.archived_at is not None
    assert db.session.get(Circle, school.klass.id).is_archived


def test_an_admin_deletes_a_term_without_classes(client, login, school, terms):
    """Does the admin delete a term holding no class, audited with its name and dates, landing on the terms
    list?"""
    _autumn, spring = terms
    spring_id, org_id = spring.id, school.org.id
    login(school.admin)
    page = page_text(client.get(f"/orgs/{school.org.id}/terms/{spring.id}"))
    assert "Delete the term" in page and "cannot be deleted" not in page
    response = client.post(f"/orgs/{school.org.id}/terms/{spring.id}/delete", follow_redirects=True)
    assert response.request.path == f"/orgs/{org_id}/terms"
    assert "The term Spring 2027 was deleted." in page_text(response)
    assert _term(spring_id) is None
    [event] = _events(AuditAction.term_deleted)
    assert event.actor_id == school.admin.id and event.org_id == school.org.id
    assert event.details == {"term": "Spring 2027", "starts_on": "2027-01-12", "ends_on": "2027-06-30"}


@pytest.mark.parametrize("archived", [False, True])
def test_a_term_with_classes_is_not_deleted(client, login, school, terms, archived):
    """Is a term holding a class (archived or not) kept, with a message saying what to do first (an archived
    class cannot be moved: restored first), and does its page say so in place of the button?"""
    autumn, _spring = terms
    message = "A term with classes cannot be deleted: move the classes of Autunm 2026 to another term first."
    if archived:
        circle_ops.set_archived(school.klass, True)
        db.session.commit()
        message = ("Autunm 2026 holds 1 archived class, which stays in the term whose report counts it, so the term "
                   "cannot be deleted. To delete it, restore the class and move it to another term first.")
    login(school.admin)
    page = client.get(f"/orgs/{school.org.id}/terms/{autumn.id}").get_data(as_text=True)
    assert message in page_text(client.get(f"/orgs/{school.org.id}/terms/{autumn.id}"))
    assert f"/terms/{autumn.id}/delete" not in page
    response = client.post(f"/orgs/{school.org.id}/terms/{autumn.id}/delete", follow_redirects=True)
    assert message in page_text(response)
    assert _term(autumn.id) is not None and db.session.get(Circle, school.klass.id).term_id == autumn.id
    assert not _events(AuditAction.term_deleted)


def test_the_log_reads_a_terms_change(app, school, terms):
    """Does the audit log read a term's change as its fields' names, old → new?"""
    autumn, _spring = terms
    term_ops.update_term(autumn, school.admin, "Autumn 2026", autumn.starts_on, date(2026, 12, 22))
    [event] = _events(AuditAction.term_changed)
    with app.test_request_context():
        lines = dict(detail_lines(dict(event.details), event.action))
    assert lines["Name"] == "Autunm 2026 → Autumn 2026" and lines["Last day"] == "Dec 20, 2026 → Dec 22, 2026"
    with app.test_request_context(), force_locale("zh_Hans"):  # a day read in the reader's language
        lines = dict(detail_lines(dict(event.details), event.action))
    assert lines.get("结束日期") == "2026年12月20日 → 2026年12月22日", lines
    assert AuditAction.term_changed.label == "Term's name or dates changed"


ROUTES = [
    ("edit_term", lambda s, t: f"/orgs/{s.org.id}/terms/{t.id}/edit", AUTUMN),
    ("delete_term", lambda s, t: f"/orgs/{s.org.id}/terms/{t.id}/delete", {}),
]


@pytest.mark.parametrize("who, expected", [("site_admin", 302), ("admin", 302), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
@pytest.mark.parametrize("name, url, data", ROUTES, ids=[r[0] for r in ROUTES])
def test_term_edit_and_delete_by_role(client, login, make, school, terms, who, expected, name, url, data):
    """Do editing and deleting a term answer the organization's admins and site admins, and give 404 to its
    teachers, a teacher of another organization, its students and strangers (visitors sent to sign in), with
    nothing changed?"""
    _autumn, spring = terms
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    response = client.post(url(school, spring), data=data)
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected
    if expected != 302:
        term = _term(spring.id)
        assert term is not None and term.name == "Spring 2027"
        assert not _events(AuditAction.term_changed) and not _events(AuditAction.term_deleted)
