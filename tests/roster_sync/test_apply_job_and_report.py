"""The apply job (progress shown while it runs), report lines stored as message ids and rendered in the reader's
language, CSV errors in plain words, classes that ended archived, accounts following the file, sign-in mail for
new accounts, the audit event, and old preview zips purged."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.circles.models import Circle, Membership, MembershipStatus
from lms.core.types import utcnow
from lms.extensions import db
from lms.roster_sync import operations as ops
from lms.roster_sync.models import RosterImport, RosterImportState
from lms.roster_sync.oneroster import RosterFileError, read_roster_zip
from lms.roster_sync.progress import clear_progress, set_progress
from lms.storage import get_storage
from tests.fixtures.app import page_text
from tests.roster_sync import sample
from tests.roster_sync.sample import csv_bytes, roster_zip, sample_rows, table


def _preview(upload, school, data) -> RosterImport:
    response = upload(school.org, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return db.session.get(RosterImport, int(re.search(r"/roster/(\d+)$", response.headers["Location"]).group(1)))


def _apply(client, school, record):
    response = client.post(f"/orgs/{school.org.id}/roster/{record.id}/apply")
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(RosterImport, record.id)


def _circle(name):
    return db.session.scalar(db.select(Circle).where(Circle.name == name))


@pytest.fixture
def admin_client(client, login, school):
    login(school.admin)
    return client


# -- (e) the apply job and its progress --------------------------------------------------------------

def test_apply_goes_through_the_jobs_system(admin_client, upload, school, monkeypatch):
    """Pressing Apply marks the import applying and queues Task.apply_roster_import after the commit (the
    inline backend of the tests runs it at once, in its own session), which applies it."""
    from lms import jobs

    queued = []
    real_enqueue = jobs.enqueue

    def spy(func, *args, **kwargs):
        queued.append((str(jobs.task_path(func)), args))
        return real_enqueue(func, *args, **kwargs)

    record = _preview(upload, school, roster_zip())
    monkeypatch.setattr(jobs, "enqueue", spy)
    applied = _apply(admin_client, school, record)
    assert [q for q in queued if q[0] == "lms.roster_sync.tasks:apply_roster_import"] == [
        ("lms.roster_sync.tasks:apply_roster_import", (record.id, school.admin.id))]
    assert applied.state == RosterImportState.applied and applied.file_key is None


def test_the_page_shows_progress_while_the_job_runs(admin_client, upload, school):
    """While the import is applying, its page shows how far it is and reloads itself; no Apply button."""
    record = _preview(upload, school, roster_zip())
    record.state = RosterImportState.applying
    db.session.commit()
    waiting = admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}")
    assert waiting.headers["Refresh"] == "2" and "Waiting for its turn" in page_text(waiting)
    set_progress(record.id, 3, 12)
    try:
        page = admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}")
        text = page.get_data(as_text=True)
        assert '<progress max="12" value="3">' in text and "3 of 12 changes applied" in page_text(page)
        assert "Apply these changes" not in text
    finally:
        clear_progress(record.id)
    again = admin_client.post(f"/orgs/{school.org.id}/roster/{record.id}/apply", follow_redirects=True)
    assert "being applied" in page_text(again)


def test_apply_reports_progress_to_the_end(school, tmp_path):
    """apply_import tells its progress in steps that only grow and end at the total."""
    path = tmp_path / "roster.zip"
    path.write_bytes(roster_zip())
    roster = read_roster_zip(path, known=ops.known_sourced_ids(school.org))
    record = RosterImport(org_id=school.org.id, actor_id=school.admin.id, file_name="r.zip", mode="bulk")
    db.session.add(record)
    db.session.flush()
    seen = []
    ops.apply_import(school.org, roster, school.admin, record, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] and seen == sorted(seen)
    assert seen[-1][1] >= 14  # 5 accounts, 2 circles, 7 memberships


# -- (f) lines stored as message ids, rendered in the reader's language -----------------------------------

@pytest.fixture
def chinese(monkeypatch):
    catalog = Catalog(locale="zh_Hans")
    catalog.add("New circle: %(name)s", "新圈子：%(name)s")
    catalog.add("%(name)s in %(circle)s: added as %(role)s.", "%(name)s 加入 %(circle)s，身份：%(role)s。")
    catalog.add("Student", "学生")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(fp=buffer)
    monkeypatch.setattr(flask_babel.Domain, "get_translations",
                        lambda self: translations if str(flask_babel.get_locale()) == "zh_Hans" else NullTranslations())


def test_lines_are_stored_as_ids_and_shown_in_the_readers_language(admin_client, upload, school, chinese):
    record = _preview(upload, school, roster_zip())
    line = next(line for line in record.lines if line["msg"] == "class_new")
    assert "text" not in line and line["params"] == {"name": "Maths 9A (MA9-A)"}
    added = next(line for line in record.lines if line["msg"] == "enrol_add" and line["params"]["role"] == "student")
    assert set(added["params"]) == {"name", "circle", "role"}
    english = page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}"))
    # the preview speaks of a plan: nobody has joined yet
    assert "Circle to create: Maths 9A (MA9-A)" in english and "will join as Student" in english
    assert "added as Student" not in english and "1 membership added" not in english
    record = _apply(admin_client, school, record)
    english = page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}"))
    assert "New circle: Maths 9A (MA9-A)" in english and "added as Student" in english
    assert "will join" not in english
    chinese_page = page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}",
                                              headers={"Accept-Language": "zh-CN"}))
    assert "新圈子：Maths 9A (MA9-A)" in chinese_page and "身份：学生" in chinese_page


def test_a_line_kept_before_ids_still_shows_its_text():
    from lms.roster_sync.messages import line_text

    assert line_text({"file": "users.csv", "line": 2, "action": "skip", "text": "Old words"}) == "Old words"


# -- (g) broken CSV in plain words -----------------------------------------------------------------------

def _with_raw(file: str, raw: bytes) -> bytes:
    rows = sample_rows()
    return roster_zip(rows, extra={file: raw})


@pytest.mark.parametrize("raw, line, words", [
    (b'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\n'
     b'o-1,,,"Hill School,school,,\r\no-2,,,Other,school,,\r\n', 2, "quoted value is not closed"),
    (b'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\n'
     b'o-1,,,"Hill" School,school,,\r\n', 2, "A quote is misplaced"),
])
def test_a_broken_quote_is_told_in_words_naming_file_and_line(tmp_path, raw, line, words):
    path = tmp_path / "roster.zip"
    path.write_bytes(_with_raw("orgs.csv", raw))
    with pytest.raises(RosterFileError) as caught:
        read_roster_zip(path)
    [problem] = [p for p in caught.value.problems if p.file == "orgs.csv"]
    assert problem.line == line and words in problem.message
    assert "expected" not in problem.message and "EOF" not in problem.message  # not Python's English


def test_a_gbk_file_is_named_as_such(admin_client, upload, school):
    rows = sample_rows()
    data = csv_bytes(table("users.csv", rows["users.csv"])).decode().encode("gb18030")
    response = upload(school.org, roster_zip(rows, extra={"users.csv": data}))
    assert response.status_code == 422
    assert "users.csv, line 4: The file is not UTF-8 text (it looks like GB18030 / GBK)" in page_text(response)


# -- (h) classes that ended are archived; accounts follow the file ------------------------------------

def test_a_class_dropped_from_a_bulk_file_is_archived(admin_client, upload, school):
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    rows = sample_rows()
    rows["classes.csv"] = [c for c in rows["classes.csv"] if c["sourcedId"] != sample.SCIENCE]
    rows["enrollments.csv"] = [e for e in rows["enrollments.csv"] if e["classSourcedId"] != sample.SCIENCE]
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["classes_archived"] == 1 and record.counts["memberships_removed"] == 0
    assert "Science 9A is no longer in the file: the circle will be archived" in page_text(
        admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}"))
    _apply(admin_client, school, record)
    science = _circle("Science 9A")
    assert science.is_archived and not _circle("Maths 9A").is_archived
    assert db.session.scalar(db.select(db.func.count()).select_from(Membership).where(
        Membership.circle_id == science.id, Membership.status == MembershipStatus.active)) == 2  # roster kept
    again = _preview(upload, school, roster_zip(rows))
    assert again.changes == 0  # the same file again changes nothing


def test_a_class_marked_tobedeleted_is_archived(admin_client, upload, school):
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    science = next(c for c in sample_rows()["classes.csv"] if c["sourcedId"] == sample.SCIENCE)
    rows = {"classes.csv": [dict(science, status="tobedeleted", dateLastModified="2026-10-01T08:00:00Z")]}
    _apply(admin_client, school, _preview(upload, school, roster_zip(rows, mode="delta")))
    assert _circle("Science 9A").is_archived


def test_a_linked_accounts_name_follows_the_file(admin_client, upload, school):
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_ADA:
            user["familyName"] = "King"
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["accounts_updated"] == 1
    assert "name Ada King" in page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}"))
    _apply(admin_client, school, record)
    assert db.session.scalar(db.select(User.name).where(User.email == "ada@hill.example")) == "Ada King"


def test_an_email_another_account_holds_is_not_taken(admin_client, upload, school, make):
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    make.user("Someone", email="someone@hill.example")
    rows = sample_rows()
    for user in rows["users.csv"]:
        if user["sourcedId"] == sample.S_ADA:
            user["email"] = "someone@hill.example"
    record = _preview(upload, school, roster_zip(rows))
    assert record.counts["accounts_updated"] == 0
    assert any(line["msg"] == "user_email_taken" for line in record.lines)


# -- (i) sign-in guidance for new accounts; (j) audit and purge -------------------------------------------

def test_new_accounts_get_a_set_password_mail(admin_client, upload, school, mailbox):
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    [message] = mailbox.to("ada@hill.example")
    body = message.get_payload(decode=True).decode() if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True).decode()
    assert "choose your password" in body and "/password/reset/" in body
    assert len(mailbox.messages()) == 5  # the five new accounts; the existing ones get nothing


def test_new_accounts_are_told_to_use_the_school_sign_in(admin_client, upload, school, mailbox):
    from lms.identity.models import IdentityProvider

    provider = IdentityProvider(org_id=school.org.id, name="Hill SSO", issuer="https://login.hill.example",
                                client_id="c")
    db.session.add(provider)
    db.session.commit()
    _apply(admin_client, school, _preview(upload, school, roster_zip()))
    [message] = mailbox.to("ada@hill.example")
    body = message.get_payload(decode=True).decode() if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True).decode()
    assert "Sign in with Hill SSO" in body and f"/login/o/{school.org.id}" in body
    assert "/password/reset/" not in body


def test_an_applied_import_is_in_the_audit_log(admin_client, upload, school):
    record = _apply(admin_client, school, _preview(upload, school, roster_zip()))
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "roster_imported"))
    assert event.org_id == school.org.id and event.actor_id == school.admin.id
    assert event.details["accounts_created"] == 5 and event.details["file"] == record.file_name


def test_preview_zips_older_than_a_day_are_purged(admin_client, upload, school):
    old = _preview(upload, school, roster_zip())
    fresh = _preview(upload, school, roster_zip())
    old_key = old.file_key
    old.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert ops.purge_previews() == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(RosterImport, old.id).file_key is None
    assert db.session.get(RosterImport, fresh.id).file_key is not None
    assert not get_storage().exists(old_key)
    page = page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{old.id}"))
    assert "Upload the zip again" in page and "Apply these changes" not in page


def test_an_apply_that_never_finished_is_marked_failed_after_a_day(school, upload, admin_client):
    """An import left applying (the embedded worker restarted) becomes failed, its zip purged, so the page
    stops waiting and says to upload it again."""
    record = _preview(upload, school, roster_zip())
    record.state = RosterImportState.applying
    record.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    ops.purge_previews()
    db.session.commit()
    db.session.expire_all()
    stuck = db.session.get(RosterImport, record.id)
    assert stuck.state == RosterImportState.failed and stuck.file_key is None
    assert "interrupted" in stuck.problems[0]["message"]
    page = admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}")
    assert "Refresh" not in page.headers and "interrupted" in page_text(page)


# -- progress, wording and failures seen by a fresh pair of eyes ----------------------------------------

def test_progress_counts_the_changes_the_preview_counted(school, tmp_path, upload, admin_client):
    """Does the apply's progress run from 0 to exactly the preview's number of changes, step by step (no
    "0 of 1 changes applied" for a file with many)?"""
    record = _preview(upload, school, roster_zip())
    path = tmp_path / "roster.zip"
    path.write_bytes(roster_zip())
    roster = read_roster_zip(path, known=ops.known_sourced_ids(school.org))
    seen = []
    ops.apply_import(school.org, roster, school.admin, record, progress=lambda done, total: seen.append((done, total)))
    assert record.changes == 14
    assert seen[0] == (0, 14) and seen[-1] == (14, 14)
    assert [done for done, _total in seen[1:]] == list(range(1, 15)) + [14]  # every step of a small file, then the end
    assert {total for _done, total in seen} == {14}


def test_a_broken_quote_stops_the_reading_without_knock_on_errors(tmp_path):
    """A quote left open in users.csv swallows the rows after it: is that the one problem told, with no
    second error about enrollments naming a user the broken file held?"""
    rows = sample_rows()
    rows["users.csv"].append({"sourcedId": "u-new", "enabledUser": "true", "givenName": "New", "familyName": "Kid",
                              "email": "new.kid@hill.example"})
    rows["enrollments.csv"].append(sample._enrollment("e-new", sample.MATHS, "u-new", "student"))
    users = csv_bytes(table("users.csv", rows["users.csv"]))
    users = users.replace(b"Ben,Kim", b'"Ben,Kim', 1)  # opens a quote on Ben's line; nothing closes it
    path = tmp_path / "roster.zip"
    path.write_bytes(roster_zip(rows, extra={"users.csv": users}))
    with pytest.raises(RosterFileError) as caught:
        read_roster_zip(path)
    [problem] = caught.value.problems
    assert problem.file == "users.csv" and "quoted value is not closed" in problem.message
    assert "u-new" not in problem.message


def test_an_apply_whose_zip_no_longer_reads_offers_no_retry(admin_client, upload, school):
    """When the apply finds the stored zip unreadable (a file-level problem), does the page show the failed
    state with the problem, no Apply or Try again button, and ask for the zip again?"""
    record = _preview(upload, school, roster_zip())
    get_storage().put(record.file_key, io.BytesIO(b"not a zip"), "application/zip")
    failed = _apply(admin_client, school, record)
    assert failed.state == RosterImportState.failed and failed.file_key is None
    page = page_text(admin_client.get(f"/orgs/{school.org.id}/roster/{record.id}"))
    assert "Not applied: applying it failed" in page and "This is not a zip file" in page
    assert "Apply these changes" not in page and "Try again" not in page
    assert "Fix the file and upload the zip again" in page
    assert _circle("Maths 9A") is None
