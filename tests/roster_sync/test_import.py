"""Importing the OneRoster sample set into the school: preview, apply, re-import, drops, identities.

The school (tests/orgs/school.py) has one class already; the sample set (tests/roster_sync/sample.py)
brings two classes (Maths 9A: Tina Lee teaching, Alan Aide, four students of whom Nora has no email;
Science 9A: Tina Lee and Ada), so an import creates 2 circles, 5 accounts and 7 memberships.
"""
from __future__ import annotations

import re

import pytest

from lms.accounts.models import User
from lms.circles.models import Circle, Membership, MembershipStatus, Role
from lms.extensions import db
from lms.orgs.models import OrgRole
from lms.roster_sync.models import RosterImport, RosterImportState, RosterLink, RosterLinkKind
from lms.roster_sync.messages import line_text
from lms.roster_sync.operations import real_name
from tests.roster_sync import sample
from tests.roster_sync.sample import roster_zip, sample_rows


def _preview(upload, school, data, name="roster.zip") -> RosterImport:
    response = upload(school.org, data, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    import_id = int(re.search(r"/roster/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(RosterImport, import_id)


def _apply(client, school, record: RosterImport):
    response = client.post(f"/orgs/{school.org.id}/roster/{record.id}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    return db.session.get(RosterImport, record.id)


def _circle(name: str) -> Circle:
    return db.session.scalar(db.select(Circle).where(Circle.name == name))


def _member(circle: Circle, email: str) -> Membership:
    return db.session.scalar(db.select(Membership).join(User, User.id == Membership.user_id)
                             .where(Membership.circle_id == circle.id, User.email == email))


@pytest.fixture
def imported(client, login, upload, school):
    """The sample set imported once by the organization's admin."""
    login(school.admin)
    record = _apply(client, school, _preview(upload, school, roster_zip()))
    assert record.state == RosterImportState.applied
    return record


def test_preview_changes_nothing_and_lists_what_would(client, login, upload, school):
    """Does the preview list the circles, accounts and memberships to come, without making any?"""
    login(school.admin)
    record = _preview(upload, school, roster_zip(), "hill-2026.zip")
    assert record.state == RosterImportState.previewed and record.file_name == "hill-2026.zip"
    assert record.counts["classes_created"] == 2 and record.counts["accounts_created"] == 5
    assert record.counts["memberships_added"] == 7
    assert _circle("Maths 9A") is None and db.session.scalar(db.select(User).where(User.email == "ada@hill.example")) is None
    page = client.get(f"/orgs/{school.org.id}/roster/{record.id}").get_data(as_text=True)
    assert "Maths 9A (MA9-A)" in page and "王小明" in page and "Apply these changes" in page
    assert "Nora Nomail has no email" in page


def test_apply_creates_circles_accounts_and_memberships(imported, school):
    """Are classes circles of the organization, with the teacher as owner, the aide an assistant and the
    students' real names (王小明 without a space) and numbers set?"""
    maths, science = _circle("Maths 9A"), _circle("Science 9A")
    assert maths.org_id == school.org.id and science.org_id == school.org.id
    assert _member(maths, "tina.lee@hill.example").role == Role.owner
    assert _member(science, "tina.lee@hill.example").role == Role.owner
    assert _member(maths, "alan.aide@hill.example").role == Role.assistant
    wang = _member(maths, "xiaoming.wang@hill.example")
    assert (wang.role, wang.real_name, wang.student_no) == (Role.student, "王小明", "S2026-001")
    assert maths.member_count == 5  # Tina, Alan, 王小明, Ada, Ben; Nora has no account
    assert _member(science, "ada@hill.example").real_name == "Ada Lovelace"
    assert imported.counts["memberships_added"] == 7 and imported.counts["skipped"] >= 2
    assert school.org.role_of(db.session.scalar(db.select(User).where(User.email == "tina.lee@hill.example"))) \
        == OrgRole.teacher


def test_report_is_visible_to_org_admins(client, imported, school):
    """Does the organization's roster page list the import, and its page say who applied it and what changed?"""
    index = client.get(f"/orgs/{school.org.id}/roster").get_data(as_text=True)
    assert "roster.zip" in index and "Applied" in index
    page = client.get(f"/orgs/{school.org.id}/roster/{imported.id}").get_data(as_text=True)
    assert "Applied by Olga Orgadmin" in page and "enrollments.csv, line" in page


def test_reimporting_the_same_file_changes_nothing(client, imported, upload, school):
    """Does the same file again preview as "nothing to change", and applying it change nothing?"""
    before = db.session.execute(db.select(Membership.id, Membership.status, Membership.role, Membership.real_name,
                                          Membership.student_no).order_by(Membership.id)).all()
    users = db.session.scalar(db.select(db.func.count()).select_from(User))
    record = _preview(upload, school, roster_zip())
    assert record.changes == 0
    page = client.get(f"/orgs/{school.org.id}/roster/{record.id}").get_data(as_text=True)
    assert "Nothing to change" in page and "Apply these changes" not in page
    record = _apply(client, school, record)
    after = db.session.execute(db.select(Membership.id, Membership.status, Membership.role, Membership.real_name,
                                         Membership.student_no).order_by(Membership.id)).all()
    assert after == before and db.session.scalar(db.select(db.func.count()).select_from(User)) == users


def test_student_left_out_of_a_bulk_file_is_removed_not_deleted(client, imported, upload, school):
    """Is a student whose enrollment a bulk file no longer has removed from the class (the row kept)?"""
    rows = sample_rows()
    rows["enrollments.csv"] = [e for e in rows["enrollments.csv"] if e["sourcedId"] != "e-005"]
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["memberships_removed"] == 1 and record.counts["memberships_added"] == 0
    _apply(client, school, record)
    ben = _member(_circle("Maths 9A"), "ben.kim@hill.example")
    assert ben is not None and ben.status == MembershipStatus.removed
    assert _circle("Maths 9A").member_count == 4


def test_delta_tobedeleted_removes_and_delta_active_adds(client, imported, upload, school):
    """Does a delta enrollments file remove the student marked tobedeleted and add the new one, leaving
    every other member as they are?"""
    rows = {"enrollments.csv": [
        dict(sample._enrollment("e-004", sample.MATHS, sample.S_ADA, "student"), status="tobedeleted",
             dateLastModified="2026-10-01T08:00:00.000Z"),
        dict(sample._enrollment("e-009", sample.SCIENCE, sample.S_BEN, "student"), status="active",
             dateLastModified="2026-10-01T08:00:00Z"),
    ]}
    record = _preview(upload, school, roster_zip(rows, mode="delta"))
    assert (record.counts["memberships_removed"], record.counts["memberships_added"]) == (1, 1)
    _apply(client, school, record)
    maths, science = _circle("Maths 9A"), _circle("Science 9A")
    assert _member(maths, "ada@hill.example").status == MembershipStatus.removed
    assert _member(science, "ada@hill.example").status == MembershipStatus.active
    assert _member(science, "ben.kim@hill.example").role == Role.student
    assert _member(maths, "ben.kim@hill.example").status == MembershipStatus.active


def test_dropped_student_back_in_the_file_is_readmitted(client, imported, upload, school):
    """Does a removed student whose enrollment comes back get readmitted (the same membership row)?"""
    rows = sample_rows()
    rows["enrollments.csv"] = [e for e in rows["enrollments.csv"] if e["sourcedId"] != "e-005"]
    _apply(client, school, _preview(upload, school, roster_zip(rows)))
    ben_id = _member(_circle("Maths 9A"), "ben.kim@hill.example").id
    _apply(client, school, _preview(upload, school, roster_zip()))
    ben = _member(_circle("Maths 9A"), "ben.kim@hill.example")
    assert ben.id == ben_id and ben.status == MembershipStatus.active


def test_existing_account_is_matched_by_email(client, login, make, upload, school):
    """Is a user whose email has an account linked to it (not a second account), with its own name kept?"""
    ada = make.user("Ada L.", email="ADA@hill.example".lower())
    login(school.admin)
    record = _preview(upload, school, roster_zip())
    assert record.counts["accounts_linked"] == 1 and record.counts["accounts_created"] == 4
    _apply(client, school, record)
    link = db.session.scalar(db.select(RosterLink).where(RosterLink.kind == RosterLinkKind.user,
                                                         RosterLink.sourced_id == sample.S_ADA))
    assert link.local_id == ada.id
    assert _member(_circle("Maths 9A"), "ada@hill.example").user_id == ada.id


def test_linked_user_is_matched_by_sourced_id_before_email(client, imported, upload, school):
    """When the school changes a linked user's email, is the same account kept (sourcedId first), and its
    email updated from the file, the change listed in the preview?"""
    ada_id = db.session.scalar(db.select(User.id).where(User.email == "ada@hill.example"))
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_ADA:
            user["email"] = "ada.lovelace@hill.example"
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["accounts_created"] == 0 and record.counts["accounts_updated"] == 1 and record.changes == 1
    page = client.get(f"/orgs/{school.org.id}/roster/{record.id}").get_data(as_text=True)
    assert "email ada.lovelace@hill.example" in page
    _apply(client, school, record)
    assert _member(_circle("Maths 9A"), "ada.lovelace@hill.example").user_id == ada_id


def test_role_mapping(client, imported, upload, school):
    """Are a proctor and an administrator assistants, and a second teacher a teacher, and does a student made
    a teacher change role?"""
    rows = sample_rows()
    rows["enrollments.csv"] += [sample._enrollment("e-010", sample.SCIENCE, sample.AIDE, "proctor"),
                                sample._enrollment("e-011", sample.SCIENCE, sample.S_WANG, "administrator")]
    for e in rows["enrollments.csv"]:
        if e["sourcedId"] == "e-005":
            e["role"] = "teacher"
    _apply(client, school, _preview(upload, school, roster_zip(rows)))
    science, maths = _circle("Science 9A"), _circle("Maths 9A")
    assert _member(science, "alan.aide@hill.example").role == Role.assistant
    assert _member(science, "xiaoming.wang@hill.example").role == Role.assistant
    assert _member(maths, "ben.kim@hill.example").role == Role.teacher


def test_changed_identifier_updates_the_student_number(client, imported, upload, school):
    """Does a new identifier in users.csv change the student's number in each class (one change line)?"""
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_BEN:
            user["identifier"] = "S2026-033"
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["memberships_changed"] == 1
    _apply(client, school, record)
    assert _member(_circle("Maths 9A"), "ben.kim@hill.example").student_no == "S2026-033"


def test_renamed_class_renames_the_circle(client, imported, upload, school):
    """Does a class's new title rename its circle (the same circle)?"""
    maths_id = _circle("Maths 9A").id
    rows = sample_rows()
    rows["classes.csv"][0]["title"] = "Maths 9 Alpha"
    _apply(client, school, _preview(upload, school, roster_zip(rows)))
    assert db.session.get(Circle, maths_id).name == "Maths 9 Alpha"


def test_new_accounts_cannot_sign_in_with_a_password(imported):
    """Can nobody sign in to an account the import made until its owner sets a password?"""
    from lms.accounts.operations import authenticate
    assert authenticate("ada@hill.example", "") is None
    assert authenticate("ada@hill.example", "!roster") is None


@pytest.mark.parametrize("given, family, expected", [
    ("小明", "王", "王小明"), ("Ada", "Lovelace", "Ada Lovelace"), ("美咲", "佐藤", "佐藤美咲"),
    ("Xiaoming", "王", "Xiaoming 王"), ("  Mary  Ann ", "Smith", "Mary Ann Smith"), ("", "王", "王"),
])
def test_real_name(given, family, expected):
    """Is the real name family+given without a space when both are CJK, else "given family"?"""
    assert real_name(given, family) == expected


def test_a_row_that_cannot_be_applied_changes_nothing(client, make, imported, upload, school):
    """When one change fails at apply (a student number someone in the class already has), is the whole
    import rolled back (the class rename before it too) with the line named, and the preview kept?"""
    from lms.circles import operations as circle_ops
    maths = _circle("Maths 9A")
    circle_ops.add_member(maths, make.user("Walter Walkin"), Role.student, student_no="S2026-099")
    db.session.commit()
    rows = sample_rows()
    rows["classes.csv"][0]["title"] = "Maths 9 Alpha"
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_BEN:
            user["identifier"] = "S2026-099"
    record = _preview(upload, school, roster_zip(rows))
    response = client.post(f"/orgs/{school.org.id}/roster/{record.id}/apply", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page and "enrollments.csv, line 6" in page
    # worded for the admin: the row, the number and the member who holds it (not "ask the teacher")
    assert "The student number S2026-099 of Ben Kim is already held by Walter Walkin in Maths 9A." in page
    assert "ask the teacher" not in page
    # the failed state is plain: no Apply button nor counts as if nothing happened; a re-try is offered, as
    # the cause can be put right in Circles
    assert "Not applied: applying it failed" in page and "What the preview planned (none of it was applied)" in page
    assert "Apply these changes" not in page and "Try again" in page
    db.session.expire_all()
    assert _circle("Maths 9A") is not None and _circle("Maths 9 Alpha") is None
    assert _member(_circle("Maths 9A"), "ben.kim@hill.example").student_no == "S2026-003"
    failed = db.session.get(RosterImport, record.id)
    assert failed.state == RosterImportState.failed and failed.file_key is not None
    assert failed.problems[0]["file"] == "enrollments.csv" and failed.problems[0]["line"] == 6


def test_an_applied_import_is_not_applied_twice(client, imported, school):
    """Does pressing Apply again on an applied import change nothing and say so?"""
    response = client.post(f"/orgs/{school.org.id}/roster/{imported.id}/apply", follow_redirects=True)
    assert "applied already" in response.get_data(as_text=True)


def test_disabled_user_gets_no_new_account(client, login, upload, school):
    """Is a user with enabledUser false given no account (their enrollments skipped), with the reason shown?"""
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_BEN:
            user["enabledUser"] = "false"
    login(school.admin)
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["accounts_created"] == 4 and record.counts["memberships_added"] == 6
    assert any("enabledUser false" in line_text(line) for line in record.lines)


def _bigger_sample(classes: int) -> dict:
    """The sample with `classes` more classes, each with the same teacher and three more students."""
    rows = sample_rows()
    for c in range(classes):
        rows["classes.csv"].append(dict(rows["classes.csv"][0], sourcedId=f"extra-class-{c}", title=f"Extra {c}",
                                        classCode=f"X{c}"))
        rows["enrollments.csv"].append(sample._enrollment(f"x-t-{c}", f"extra-class-{c}", sample.T_LEE, "teacher"))
        for s in range(3):
            sid = f"extra-student-{c}-{s}"
            rows["users.csv"].append(dict(rows["users.csv"][3], sourcedId=sid, email=f"x{c}-{s}@hill.example",
                                          identifier=f"X{c}-{s}"))
            rows["enrollments.csv"].append(sample._enrollment(f"x-{c}-{s}", f"extra-class-{c}", sid, "student"))
    return rows


def test_preview_costs_a_fixed_number_of_queries(client, login, upload, school, count_queries):
    """Does previewing a re-import cost the same number of queries for 2 classes as for 12?"""
    login(school.admin)
    counts = []
    for extra in (0, 10):
        rows = _bigger_sample(extra)
        _apply(client, school, _preview(upload, school, roster_zip(rows)))
        with count_queries:
            _preview(upload, school, roster_zip(rows))
        counts.append(count_queries.count)
    assert counts[0] == counts[1], counts


def test_an_account_linked_by_email_keeps_its_name_and_email_on_every_import(client, login, make, upload, school):
    """Mei Chen's own account has the address the file gives Wang Xiaoming: is it linked (no rename) on
    the first import, do the second and third imports of the identical file preview and apply nothing
    (no "1 account updated — name 王小明"), while her membership carries the file's real name; and does a
    later file with another name and email still leave her account's own alone?"""
    mei = make.user("Mei Chen", email="xiaoming.wang@hill.example")
    login(school.admin)
    first = _preview(upload, school, roster_zip())
    assert first.counts["accounts_linked"] == 1 and first.counts["accounts_updated"] == 0
    _apply(client, school, first)
    for _time in range(2):
        again = _preview(upload, school, roster_zip())
        assert again.counts["accounts_updated"] == 0 and again.changes == 0, again.lines
        page = client.get(f"/orgs/{school.org.id}/roster/{again.id}").get_data(as_text=True)
        assert "Nothing to change" in page and "name 王小明" not in page
        assert _apply(client, school, again).state == RosterImportState.applied
        db.session.refresh(mei)
        assert (mei.name, mei.email) == ("Mei Chen", "xiaoming.wang@hill.example")
    assert _member(_circle("Maths 9A"), "xiaoming.wang@hill.example").real_name == "王小明"
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_WANG:
            user["givenName"], user["email"] = "晓明", "wang.xm@hill.example"
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["accounts_updated"] == 0
    _apply(client, school, record)
    db.session.refresh(mei)
    assert (mei.name, mei.email) == ("Mei Chen", "xiaoming.wang@hill.example")
    assert _member(_circle("Maths 9A"), "xiaoming.wang@hill.example").real_name == "王晓明"


def test_the_sample_set_imported_twice_more_changes_nothing(client, imported, upload, school):
    """Do the second and the third import of the identical sample set both preview no change at all?"""
    for _time in range(2):
        record = _preview(upload, school, roster_zip())
        assert record.changes == 0 and record.counts["accounts_updated"] == 0
        _apply(client, school, record)
