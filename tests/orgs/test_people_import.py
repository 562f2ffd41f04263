"""Bulk add from CSV (/orgs/<id>/people/import): a preview with every row's outcome, nothing added until it is
confirmed (then all or nothing, each addition audited), every problem of a bad file named with its line and
column in the reader's language (the OneRoster import's reader and rules), and who may."""
from __future__ import annotations

import html
import io

import pytest

from lms.audit.models import AuditAction, AuditEvent
from lms.circles.models import CircleKind, JoinPolicy, Membership, MembershipStatus
from lms.extensions import db
from lms.orgs import operations as org_ops
from tests.fixtures.queries import QueryCounter
from tests.orgs.school import build_school


@pytest.fixture
def setup(make, school):
    """Ann and Ben have accounts; Ben is already in "Existing class"; "Room B" is another class of the school
    and "Old room" an archived one."""
    ann = make.user("Ann Ash", email="ann@school.example")
    ben = make.user("Ben Birch", email="ben@school.example")
    make.member(school.klass, ben)
    room_b, old = org_ops.create_classes(school.org, ["Room B", "Old room"], school.teacher, CircleKind.teaching,
                                         JoinPolicy.code, actor=school.site_admin)
    old.is_archived = True
    db.session.commit()
    return ann, ben, room_b


GOOD = ("email,class,name,real_name,student_number\n"
        "ann@school.example,Existing class,Ann A,安安,S-100\n"
        "ANN@school.example,room b,,,\n"
        "ben@school.example,Existing class,,,\n")


def _upload(client, school, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(f"/orgs/{school.org.id}/people/import",
                       data={"file": (io.BytesIO(data), "../../etc/passwd")}, content_type="multipart/form-data")


def _count_memberships():
    return db.session.scalar(db.select(db.func.count()).select_from(Membership))


def test_the_preview_shows_every_row_and_adds_nothing(client, login, school, setup):
    """Does the preview say what each row will do (join, join, already in) and add nobody yet?"""
    login(school.admin)
    before = _count_memberships()
    response = _upload(client, school, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "Ann Ash will join Existing class as a student." in page
    assert "Ann Ash will join Room B as a student." in page
    assert "Ben Birch is already in Existing class: nothing to do." in page
    assert _count_memberships() == before


def test_confirming_adds_them_with_their_identity(client, login, school, setup):
    """Does confirming the preview add Ann to both classes (with the name, real name and number of the file),
    leave Ben as he was, and audit each addition?"""
    ann, ben, room_b = setup
    login(school.admin)
    preview = _upload(client, school, GOOD).get_data(as_text=True)
    kept = html.unescape(preview.split('<textarea name="csv_text" hidden aria-hidden="true">')[1].split("</textarea>")[0])
    assert kept == GOOD  # the confirmation sends the file the preview read
    response = client.post(f"/orgs/{school.org.id}/people/import", data={"csv_text": kept})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    mine = {m.circle_id: m for m in db.session.scalars(db.select(Membership).where(Membership.user_id == ann.id))}
    assert set(mine) == {school.klass.id, room_b.id}
    first = mine[school.klass.id]
    assert first.status == MembershipStatus.active and (first.display_name, first.real_name, first.student_no) == (
        "Ann A", "安安", "S-100")
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == AuditAction.member_role_changed.value,
                                                            AuditEvent.actor_id == school.admin.id)).all()
    assert sorted(e.circle_id for e in events if e.details.get("via") == "org_csv") == sorted(
        [school.klass.id, room_b.id])
    assert "2 students were added" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_every_problem_is_named_with_its_line_and_column_and_nothing_is_added(client, login, school, setup):
    """Does a file with an unknown account, an unknown class, an archived class, a missing value, a bad email
    and a row given twice list each on its line and column (422), and add nobody, not even the good rows?"""
    login(school.admin)
    before = _count_memberships()
    text = ("email,class\n"
            "ann@school.example,Existing class\n"           # 2: fine
            "nobody@school.example,Existing class\n"        # 3: no account
            "ann@school.example,Room Z\n"                   # 4: no class
            "ann@school.example,Old room\n"                 # 5: archived
            ",Room B\n"                                     # 6: no email
            "not-an-email,Room B\n"                         # 7: bad email
            "ann@school.example,existing class\n")          # 8: twice
    response = _upload(client, school, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    rows = [r.split("</tr>")[0] for r in page.split('<tr class="problem">')[1:]]
    assert len(rows) == 2 and "No account" not in page  # the checks of the values come first: lines 6 and 7
    assert "<td class=\"num\">6</td><td>email</td><td>A value is required.</td>" in rows[0]
    assert "7</td><td>email</td>" in rows[1] and "is not an email address" in rows[1]
    text = text.replace("not-an-email,Room B\n", "").replace("\n,Room B\n", "\n")
    page = _upload(client, school, text).get_data(as_text=True)
    rows = [r.split("</tr>")[0] for r in page.split('<tr class="problem">')[1:]]
    assert [r.split("</td>")[0].split(">")[-1] for r in rows] == ["3", "4", "5", "6"]
    assert "No account has the email nobody@school.example" in rows[0] and "<td>email</td>" in rows[0]
    assert "no class named Room Z" in rows[1] and "<td>class</td>" in rows[1]
    assert "Old room is archived" in rows[2]
    assert "on line 2 already" in rows[3]
    assert "Add these students" not in page
    assert _count_memberships() == before


@pytest.mark.parametrize("data, line, words", [
    ("class\nRoom B\n", "1", "The required column is missing."),
    ("email,class\n\"ann@school.example,Room B\n", "2", "A quoted value is not closed"),
    ("email,class,name\nann@school.example,Room B\n", "2", "The line has 2 cells; the heading names 3."),
    ("email,class\nann@school.example,Room B\n".encode("utf-8") + "李,Room B\n".encode("gbk"), "3",
     "not UTF-8 text (it looks like GB18030 / GBK)"),
    ("email,class\n", "–", "no rows after its heading"),
])
def test_a_bad_file_is_refused_with_the_oneroster_words(client, login, school, setup, data, line, words):
    """Are the OneRoster import's rules and words used (missing column, open quote, cell count, encoding)?"""
    login(school.admin)
    response = _upload(client, school, data)
    page = response.get_data(as_text=True).replace("&#34;", '"').replace("&quot;", '"')
    assert response.status_code == 422 and words in page
    assert f'<tr class="problem"><td class="num">{line}</td>' in page


def test_the_problems_read_in_the_readers_language(client, login, school, setup):
    """Does a problem read in Chinese for a reader whose browser asks for it?"""
    login(school.admin)
    response = client.post(f"/orgs/{school.org.id}/people/import", headers={"Accept-Language": "zh-CN"},
                           data={"file": (io.BytesIO(b"email,class\n,Room B\n"), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "此项必填。" in response.get_data(as_text=True)


def test_a_confirmation_that_the_class_refuses_adds_nobody(client, login, make, school, setup):
    """When a row is refused at the confirmation (its number taken in the class meanwhile), is nobody added and
    the row named?"""
    ann, ben, room_b = setup
    make.member(room_b, make.user("Cara"), student_no="S-100")
    db.session.commit()
    login(school.admin)
    before = _count_memberships()
    text = "email,class,student_number\nben@school.example,Room B,\nann@school.example,Room B,S-100\n"
    response = client.post(f"/orgs/{school.org.id}/people/import", data={"csv_text": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and '<td class="num">3</td><td>student_number</td>' in page
    assert _count_memberships() == before


@pytest.mark.parametrize("who, expected", [("site_admin", 200), ("admin", 200), ("teacher", 404),
                                           ("other_teacher", 404), ("student", 404), ("outsider", 404),
                                           ("anonymous", "login")])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_import_by_role(client, login, make, school, setup, who, expected, method):
    """Is the bulk add for the org's admins and site admins only, and does a refused POST add nobody?"""
    if who == "other_teacher":
        login(build_school(make, "Other School").teacher)
    elif who != "anonymous":
        login(school.by_role(who))
    before = _count_memberships()
    url = f"/orgs/{school.org.id}/people/import"
    response = client.get(url) if method == "GET" else client.post(url, data={"csv_text": GOOD})
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif method == "POST" and expected == 200:
        assert response.status_code == 302
    else:
        assert response.status_code == expected
    if method == "POST" and expected != 200:
        assert _count_memberships() == before


def test_a_class_of_another_school_is_unknown(client, login, make, school, setup):
    """Is a class of another school refused as unknown (its name is not one of this school's classes)?"""
    other = build_school(make, "Other School")
    org_ops.create_classes(other.org, ["Elsewhere"], other.teacher, CircleKind.teaching, JoinPolicy.code,
                           actor=school.site_admin)
    db.session.commit()
    login(school.admin)
    response = _upload(client, school, "email,class\nann@school.example,Elsewhere\n")
    assert response.status_code == 422 and "no class named Elsewhere" in response.get_data(as_text=True)


def test_a_removed_student_is_readmitted(client, login, school, setup):
    """Is a student the staff removed from a class shown as readmitted, and readmitted when confirmed?"""
    ann, ben, room_b = setup
    login(school.admin)
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == ben.id))
    membership.status = MembershipStatus.removed
    db.session.commit()
    text = "email,class\nben@school.example,Existing class\n"
    assert "Ben Birch will be readmitted to Existing class" in _upload(client, school, text).get_data(as_text=True)
    assert client.post(f"/orgs/{school.org.id}/people/import", data={"csv_text": text}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).status == MembershipStatus.active


def test_the_preview_query_count_does_not_grow_with_the_classes(client, login, school, setup):
    """Is the preview's query count the same with 3 classes in the school and with 23?"""
    login(school.admin)

    def count() -> int:
        with QueryCounter() as counter:
            assert _upload(client, school, GOOD).status_code == 200
        return counter.count

    count()  # the first request warms the per-process caches
    few = count()
    org_ops.create_classes(school.org, [f"Class {n}" for n in range(20)], school.teacher, CircleKind.teaching,
                           JoinPolicy.code, actor=school.site_admin)
    db.session.commit()
    assert count() == few


def test_a_class_name_means_the_current_class_of_that_name(client, login, school, setup):
    """A class copied into the next term keeps its name. Once the old term's class is archived, does a row naming it
    add the student to the current class (it was refused, "is archived", though the copy takes students:
    fresh-eyes trial), and is a name that two current classes share refused rather than guessed?"""
    ann, _ben, room_b = setup
    [copy] = org_ops.create_classes(school.org, ["Room B, next term"], school.teacher, CircleKind.teaching,
                                    JoinPolicy.code, actor=school.site_admin)
    copy.name = room_b.name
    room_b.is_archived = True
    db.session.commit()
    login(school.admin)
    page = _upload(client, school, "email,class\nann@school.example,Room B\n").get_data(as_text=True)
    assert "Ann Ash will join Room B as a student." in page and "is archived" not in page
    client.post(f"/orgs/{school.org.id}/people/import", data={"csv_text": "email,class\nann@school.example,Room B\n"})
    db.session.expire_all()
    assert copy.membership_of(ann).status == MembershipStatus.active and room_b.membership_of(ann) is None
    room_b.is_archived = False
    db.session.commit()
    response = _upload(client, school, "email,class\nben@school.example,room b\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "more than one current class named room b" in html.unescape(page)
