"""Putting classes in a term from the console: an archived class stays in its term (the term's report counts it),
named in the refusal, while the other classes ticked with it move."""
from __future__ import annotations

from datetime import date

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import Circle, CircleKind, JoinPolicy
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.console import terms as term_ops
from tests.fixtures.app import page_text

ARCHIVED = "Old Art was not moved: it is archived, so it can be read, but nothing in it can be changed."


@pytest.fixture
def terms(school):
    """Hill School has Autumn 2026 and Spring 2027; its existing class and "Old Art" are in autumn, "Old Art"
    archived."""
    autumn = term_ops.create_term(school.org, "Autumn 2026", date(2026, 9, 1), date(2026, 12, 20))
    spring = term_ops.create_term(school.org, "Spring 2027", date(2027, 1, 12), date(2027, 6, 30))
    [old] = org_ops.create_classes(school.org, ["Old Art"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                                   actor=school.site_admin)
    school.klass.term_id = old.term_id = autumn.id
    circle_ops.set_archived(old, True)
    db.session.commit()
    return autumn, spring, old


def _term_of(circle_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Circle, circle_id).term_id


def _move(client, school, ids, term_id):
    return client.post(f"/orgs/{school.org.id}/console/term", data={"class_ids": ids, "term_id": term_id},
                       follow_redirects=True)


def test_an_archived_class_stays_while_the_others_move(client, login, school, terms):
    """Ticked with an open class, does the archived class stay in its term, named in the archived refusal,
    while the open one moves and the count says one class?"""
    autumn, spring, old = terms
    login(school.admin)
    text = page_text(_move(client, school, [school.klass.id, old.id], spring.id))
    assert _term_of(old.id) == autumn.id
    assert _term_of(school.klass.id) == spring.id
    assert ARCHIVED in text
    assert "1 class is now in Spring 2027." in text


@pytest.mark.parametrize("to", ["spring", "none"])
def test_only_archived_classes_ticked_changes_nothing(client, login, school, terms, to):
    """With only the archived class ticked, into another term or into none, does nothing change, with the
    refusal alone (no "0 classes are now in…")?"""
    autumn, spring, old = terms
    login(school.site_admin)
    text = page_text(_move(client, school, [old.id], spring.id if to == "spring" else 0))
    assert _term_of(old.id) == autumn.id
    assert ARCHIVED in text
    assert "now in" not in text


def test_the_operation_names_the_archived_classes_it_left(school, terms):
    """Does set_classes_term leave archived classes where they are and say which (by name), counting only the
    classes it moved?"""
    autumn, spring, old = terms
    [other] = org_ops.create_classes(school.org, ["Music"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                                     actor=school.site_admin)
    changed, kept = term_ops.set_classes_term([old, school.klass, other], spring)
    assert changed == 2 and kept == [old]
    assert (old.term_id, school.klass.term_id, other.term_id) == (autumn.id, spring.id, spring.id)


def test_several_archived_classes_are_named_in_one_plural_refusal(client, login, school, terms):
    """With two archived classes ticked, does the refusal name both and speak of them in the plural (it said
    'This circle is archived' after naming two)?"""
    _autumn, spring, old = terms
    [music] = org_ops.create_classes(school.org, ["Old Music"], school.teacher, CircleKind.teaching, JoinPolicy.code,
                                     actor=school.site_admin)
    circle_ops.set_archived(music, True)
    db.session.commit()
    login(school.admin)
    text = page_text(_move(client, school, [old.id, music.id], spring.id))
    assert ("Old Art and Old Music were not moved: they are archived, so they can be read, but nothing in them can "
            "be changed.") in text
