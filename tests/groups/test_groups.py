"""Making groups and putting people in them: names, the one-group rule, removing, leaving the circle, the
random split, the audit log, and what a student sees."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEvent
from lms.circles import operations as circle_ops
from lms.circles.models import Role
from lms.extensions import db
from lms.groups import operations as ops
from lms.groups import queries as q
from lms.groups.models import GroupMember
from tests.fixtures.app import page_text
from tests.fixtures.queries import QueryCounter


def _groups(g) -> dict[str, list[str]]:
    """Group name → the names of its current members."""
    db.session.expire_all()
    circle = g.klass.circle
    members = q.members_by_group(circle)
    return {group.name: [m.display_name for m in members.get(group.id, [])] for group in q.groups_of(circle)}


def _actions(circle) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.circle_id == circle.id)
                                   .order_by(AuditEvent.id)))


# -- names -------------------------------------------------------------------------------------

def test_create_a_group_from_the_page(grouped, client_as):
    """Does a teacher's new group appear, empty, last, and lead to its add page?"""
    response = client_as(grouped.klass.teacher).post(grouped.base, data={"name": "  Green  "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/add")
    assert list(_groups(grouped)) == ["Red", "Blue", "Green"]
    assert _groups(grouped)["Green"] == []
    assert _actions(grouped.klass.circle)[-1] == "group_created"


@pytest.mark.parametrize("name", ["red", "RED", "Ｒｅｄ", "Red\u200b"])
def test_names_are_unique_in_a_circle_as_people_read_them(grouped, client_as, name):
    """Is a second "Red" refused whatever its case, width or invisible characters, with the reason by the field?"""
    response = client_as(grouped.klass.teacher).post(grouped.base, data={"name": name})
    assert response.status_code == 422
    assert "This circle already has a group called" in page_text(response)
    assert len(_groups(grouped)) == 2


def test_the_same_name_in_another_circle_is_fine(grouped, make):
    """May another circle have its own "Red"?"""
    other = make.circle(grouped.klass.teacher)
    assert ops.create_group(other, grouped.klass.teacher, "Red").name == "Red"


@pytest.mark.parametrize("name, message", [
    ("", "Give the group a name."),
    ("x" * 81, "At most 80 characters."),
    ("Line\nbreak", "Line breaks, tabs and control characters are not allowed here."),
    ("\u200b\u200b", "invisible characters alone show blank"),
])
def test_a_bad_name_is_refused_with_its_reason(grouped, client_as, name, message):
    """Is an empty, too long, multi-line or invisible name refused with a message saying why?"""
    response = client_as(grouped.klass.teacher).post(grouped.base, data={"name": name})
    assert response.status_code == 422
    assert message in page_text(response)
    assert len(_groups(grouped)) == 2


def test_rename_keeps_names_unique(grouped, client_as):
    """Can a group be renamed, but not to another group's name?"""
    teacher = client_as(grouped.klass.teacher)
    assert teacher.post(f"{grouped.base}/{grouped.red.id}/edit", data={"name": "blue"}).status_code == 422
    assert teacher.post(f"{grouped.base}/{grouped.red.id}/edit", data={"name": "Crimson"}).status_code == 302
    assert list(_groups(grouped)) == ["Crimson", "Blue"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "group_renamed"))
    assert event.details == {"from": "Red", "to": "Crimson"}


# -- one group per person --------------------------------------------------------------------

def test_adding_someone_in_another_group_moves_them(grouped, client_as):
    """A person is in one group per circle: does putting Blue's classmate in Red take them out of Blue?"""
    response = client_as(grouped.klass.teacher).post(
        f"{grouped.base}/{grouped.red.id}/add", data={"user_ids": [str(grouped.klass.classmate.id),
                                                                   str(grouped.extra[0].id)]})
    assert response.status_code == 302
    groups = _groups(grouped)
    assert "Classmate In Class" in groups["Red"] and "Dancer 0" in groups["Red"]
    assert groups["Blue"] == ["Dancer 3"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "group_members_added")
                              .order_by(AuditEvent.id.desc()))
    assert event.details["moved_from"] == ["Classmate In Class (Blue)"]


def test_the_database_holds_one_group_per_person_and_circle(grouped):
    """Does the database itself refuse a second row for the same person in the same circle?"""
    circle = grouped.klass.circle
    db.session.add(GroupMember(group_id=grouped.blue.id, circle_id=circle.id, user_id=grouped.klass.student.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_group_row_cannot_name_another_circle(grouped, make):
    """Does the database refuse a row whose circle is not its group's (the one-group key would not hold)?"""
    other = make.circle(grouped.klass.teacher)
    db.session.add(GroupMember(group_id=grouped.red.id, circle_id=other.id, user_id=grouped.extra[0].id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("who", ["assistant", "stranger"])
def test_only_current_students_go_in_a_group(grouped, client_as, who):
    """Are staff and people outside the circle refused, with the reason, and nobody added?"""
    before = _groups(grouped)
    response = client_as(grouped.klass.teacher).post(
        f"{grouped.base}/{grouped.red.id}/add",
        data={"user_ids": [str(grouped.extra[0].id), str(grouped.klass.users[who].id)]})
    assert response.status_code == 422
    assert "Only the circle's current students can be put in a group." in page_text(response)
    assert _groups(grouped) == before


def test_nobody_ticked_is_refused(grouped, client_as):
    """Is an add with nobody ticked refused with the reason?"""
    response = client_as(grouped.klass.teacher).post(f"{grouped.base}/{grouped.red.id}/add", data={})
    assert response.status_code == 422
    assert "Choose at least one student." in page_text(response)


def test_add_page_offers_students_in_no_group_and_searches_without_script(grouped, client_as):
    """Does the add page list only students in no group, and does ?q= narrow it (by name or number)?"""
    teacher = client_as(grouped.klass.teacher)
    text = teacher.get(f"{grouped.base}/{grouped.red.id}/add").get_data(as_text=True)
    assert "Dancer 0" in text and "Dancer 1" in text
    assert "Dancer 3" not in text and "Assistant In Class" not in text
    text = teacher.get(f"{grouped.base}/{grouped.red.id}/add?q=dancer+1").get_data(as_text=True)
    assert "Dancer 1" in text and "Dancer 0" not in text
    text = teacher.get(f"{grouped.base}/{grouped.red.id}/add?all=1").get_data(as_text=True)
    assert "Dancer 3" in text and "Already in this group" in text


# -- moving and removing ---------------------------------------------------------------------

def test_move_a_member(grouped, client_as):
    """Does "Move" put the student in the chosen group, and refuse the group they are in?"""
    member = grouped.membership(grouped.klass.student)
    url = f"{grouped.base}/{grouped.red.id}/members/{member.id}/move"
    teacher = client_as(grouped.klass.teacher)
    assert teacher.post(url, data={"group_id": str(grouped.red.id)}).status_code == 422
    assert teacher.post(url, data={"group_id": str(grouped.blue.id)}).status_code == 302
    assert "Student In Class" in _groups(grouped)["Blue"]
    assert "group_member_moved" in _actions(grouped.klass.circle)


def test_remove_a_member(grouped, client_as):
    """Does "Remove" take the student out of the group (still in the circle, in no group), audited?"""
    member = grouped.membership(grouped.klass.student)
    response = client_as(grouped.klass.teacher).post(f"{grouped.base}/{grouped.red.id}/members/{member.id}/remove")
    assert response.status_code == 302
    assert _groups(grouped)["Red"] == ["Dancer 2"]
    assert grouped.klass.student.id in {m.user_id for m, _g in q.learners(grouped.klass.circle)}
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "group_member_removed"))
    assert event.details == {"group": "Red"} and event.target_id == member.id


def test_delete_a_group_leaves_its_members_in_no_group(grouped, client_as):
    """Does deleting a group leave its members in the circle, in no group, with their names on the log?"""
    red = grouped.red.id
    response = client_as(grouped.klass.teacher).post(f"{grouped.base}/{red}/delete")
    assert response.status_code == 302
    assert list(_groups(grouped)) == ["Blue"]
    assert db.session.scalar(db.select(db.func.count()).select_from(GroupMember)
                             .where(GroupMember.group_id == red)) == 0
    assert q.unassigned_count(grouped.klass.circle) == 4
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "group_deleted"))
    assert sorted(event.details["members"]) == ["Dancer 2", "Student In Class"]


@pytest.mark.parametrize("how", ["removed", "left"])
def test_people_who_leave_the_circle_drop_out_of_their_group(grouped, how):
    """Is a student who was removed or left out of their group at once, and in no group if they come back?"""
    circle, member = grouped.klass.circle, grouped.membership(grouped.klass.student)
    if how == "removed":
        circle_ops.remove_member(member, grouped.klass.teacher)
    else:
        circle_ops.leave_circle(member)
    db.session.commit()
    assert _groups(grouped)["Red"] == ["Dancer 2"]
    assert grouped.klass.student.id not in q.group_ids_by_user(circle.id)
    if how == "removed":
        circle_ops.readmit_member(member, grouped.klass.teacher)
    else:
        circle_ops.add_member(circle, grouped.klass.student, member.role)
    db.session.commit()
    assert grouped.klass.student.id not in q.group_ids_by_user(circle.id)
    assert grouped.klass.student.id in {m.user_id for m, _g in q.learners(circle)}
    # ...and can be put in a group again (their old row is reused: one row per person and circle)
    ops.add_members(grouped.blue, grouped.klass.teacher, [grouped.klass.student.id])
    db.session.commit()
    assert q.group_ids_by_user(circle.id)[grouped.klass.student.id] == grouped.blue.id


# -- the random split ------------------------------------------------------------------------

def test_split_at_random_is_balanced(grouped, make, client_as):
    """With 11 students in no group, do 3 new groups get 4, 4 and 3 of them, each exactly once, and the groups
    that exist keep their members?"""
    circle = grouped.klass.circle
    for i in range(9):
        make.member(circle, make.user(f"Newcomer {i}"))
    before = _groups(grouped)
    response = client_as(grouped.klass.teacher).post(f"{grouped.base}/split", data={"count": "3", "name_start": "Team"})
    assert response.status_code == 302
    groups = _groups(grouped)
    assert {k: v for k, v in groups.items() if k in before} == before
    new = {k: v for k, v in groups.items() if k not in before}
    assert sorted(new) == ["Team 1", "Team 2", "Team 3"]
    assert sorted(len(v) for v in new.values()) == [3, 4, 4]
    placed = [name for names in new.values() for name in names]
    assert len(placed) == len(set(placed)) == 11
    assert q.unassigned_count(circle) == 0
    assert "groups_split" in _actions(circle)


@pytest.mark.parametrize("size, count", [(7, 2), (10, 4), (5, 5), (23, 6)])
def test_split_sizes_differ_by_one_at_most(klass, make, size, count):
    """Whatever the numbers, do the new groups' sizes differ by one at most and hold everyone once?"""
    for i in range(size - 2):  # the klass has two students
        make.member(klass.circle, make.user(f"S{i}"))
    groups = ops.split_randomly(klass.circle, klass.teacher, count, "G", rng=random.Random(size))
    db.session.commit()
    sizes = Counter(q.group_ids_by_user(klass.circle.id).values())
    assert len(groups) == count and sum(sizes.values()) == size
    assert max(sizes.values()) - min(sizes.values()) <= 1


def test_split_skips_names_taken_and_refuses_too_many(grouped, client_as):
    """Does the split refuse more groups than students in no group, and skip a number already a group's name?"""
    teacher = client_as(grouped.klass.teacher)
    response = teacher.post(f"{grouped.base}/split", data={"count": "3", "name_start": "Team"})
    assert response.status_code == 422
    assert "Give a whole number from 1 to 2 (the students in no group)." in page_text(response)
    ops.create_group(grouped.klass.circle, grouped.klass.teacher, "team 1")
    db.session.commit()
    assert teacher.post(f"{grouped.base}/split", data={"count": "2", "name_start": "Team"}).status_code == 302
    assert sorted(_groups(grouped)) == ["Blue", "Red", "Team 2", "Team 3", "team 1"]


def test_split_with_everyone_placed_is_refused(grouped):
    """Is a split refused, with the reason, when every student is in a group?"""
    ops.add_members(grouped.red, grouped.klass.teacher, [u.id for u in grouped.extra[:2]])
    with pytest.raises(ops.GroupError, match="Every student is in a group already."):
        ops.split_randomly(grouped.klass.circle, grouped.klass.teacher, 1, "Team")


# -- what students see -----------------------------------------------------------------------

def test_home_page_shows_a_student_their_group(grouped, client_as):
    """Does a student's circle home page show their group's name and members, and nothing for one in no group
    or for the staff?"""
    url = f"/c/{grouped.klass.circle.id}"
    text = page_text(client_as(grouped.klass.student).get(url))
    assert "My group: Red" in text and "Dancer 2" in text
    assert "My group" not in page_text(client_as(grouped.extra[0]).get(url))
    assert "My group" not in page_text(client_as(grouped.klass.teacher).get(url))


def test_staff_page_lists_groups_under_circle_identities(grouped, client_as):
    """Does the staff's page show each group with its members' names in the circle and the students in no group?"""
    response = client_as(grouped.klass.assistant).get(grouped.base)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-member-id="' in html  # the roster's identity (lms.circles.display.member_name)
    text = page_text(response)
    assert "Red" in text and "Blue" in text and "2 students in no group" in text
    assert text.index("Red") < text.index("Blue")


def test_the_groups_page_takes_a_fixed_number_of_queries(grouped, make, client_as):
    """Does the staff's page cost the same number of queries with 4 more students in groups?"""
    teacher = client_as(grouped.klass.teacher)

    def count() -> int:
        with QueryCounter() as counter:
            assert teacher.get(grouped.base).status_code == 200
        return counter.count

    count()  # the session's first request records it once
    first = count()
    more = [make.member(grouped.klass.circle, make.user(f"More {i}")).user.id for i in range(4)]
    ops.add_members(grouped.blue, grouped.klass.teacher, more)
    db.session.commit()
    assert count() == first


def test_groups_link_on_the_roster(grouped, client_as):
    """Does the staff's roster page link to the groups?"""
    html = client_as(grouped.klass.teacher).get(f"/c/{grouped.klass.circle.id}/members").get_data(as_text=True)
    assert f'href="{grouped.base}"' in html


def test_a_student_made_staff_drops_out_of_their_group(grouped):
    """Groups hold students: does a student made assistant leave their group (and peer review's groups)?"""
    circle_ops.change_role(grouped.membership(grouped.klass.student), Role.assistant, grouped.klass.owner)
    db.session.commit()
    assert _groups(grouped)["Red"] == ["Dancer 2"]
    assert grouped.klass.student.id not in q.group_ids_by_user(grouped.klass.circle.id)


def test_the_audit_log_reads_the_groups_events(grouped, client_as):
    """Does the site's audit log show the groups' events with their labels and the names involved?"""
    teacher = client_as(grouped.klass.teacher)
    member = grouped.membership(grouped.klass.student)
    teacher.post(f"{grouped.base}/{grouped.red.id}/members/{member.id}/move", data={"group_id": str(grouped.blue.id)})
    teacher.post(f"{grouped.base}/{grouped.blue.id}/edit", data={"name": "Navy"})
    text = page_text(client_as(grouped.klass.admin).get("/admin/audit"))
    for words in ("Group created", "Added to a group", "Moved to another group", "Group renamed", "Blue → Navy",
                  "Red → Blue", "Dancer 2", "Student In Class"):
        assert words in text, words
