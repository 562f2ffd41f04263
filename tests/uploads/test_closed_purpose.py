"""An upload whose purpose stops taking bytes is refused at the protocol level, before the body of the
next chunk is read: a phone's tus app resuming an assignment's upload after the assignment closed
for its student (own deadline: extension and late policy count), after the student left the circle,
or after the assignment was deleted or taken back to draft. A HEAD still answers the offset;
uploads without a purpose are untouched (and asked nothing more per chunk)."""
from __future__ import annotations

import base64

import pytest
from flask_babel import get_locale

from lms.circles.models import Membership
from lms.circles.operations.membership import remove_member
from lms.extensions import db
from lms.homework import operations as hw_ops
from lms.homework.lateness import LatePolicy
from lms.homework.models import Assignment
from lms.uploads import parts
from lms.uploads.access import register_upload_purpose
from lms.uploads.models import Upload
from tests.fixtures.homework import ago, later
from tests.uploads.helpers import CHUNK_TYPE, start

TUS = {"Tus-Resumable": "1.0.0"}
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 29_988  # 30,000 bytes


def _meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in values.items())


def _tus_create(client, purpose: str, purpose_id: int, length: int = len(VIDEO), body: bytes = b""):
    headers = {**TUS, "X-CSRFToken": client.csrf_token(), "Upload-Length": str(length),
               "Upload-Metadata": _meta(filename="take.mp4", purpose=purpose, purpose_id=purpose_id)}
    if body:
        headers["Content-Type"] = CHUNK_TYPE
    return client.post("/uploads", data=body, headers=headers)


def _patch(client, url: str, data: bytes, offset: int, **headers):
    return client.patch(url, data=data, headers={**TUS, "Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE,
                                                "X-CSRFToken": client.csrf_token(), **headers})


def _head_offset(client, url: str) -> int:
    response = client.head(url, headers=TUS)
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


@pytest.fixture
def assignment(klass, hw):
    return hw.assignment(klass.circle, title="Solo dance", due_at=later(days=1), max_video_seconds=60)


@pytest.fixture
def started(app, request, klass, client_as, assignment):
    """The student's phone created the upload for the assignment and sent its first 10,000 bytes."""
    client = client_as(klass.student)
    created = _tus_create(client, "assignment", assignment.id)
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"]
    token = created.get_json()["token"]
    request.addfinalizer(lambda: parts.remove(parts.part_path(app.config["UPLOAD_DIR"], token)))
    assert _patch(client, url, VIDEO[:10_000], 0).status_code == 204
    return client, url


def _close(assignment: Assignment, *, hard: bool = True, policy: LatePolicy = LatePolicy.accept) -> None:
    """Time passes: the due time (and, when `hard`, the close) is behind us."""
    assignment = db.session.get(Assignment, assignment.id)
    assignment.due_at = ago(minutes=10)
    assignment.closes_at = ago(minutes=1) if hard else None
    assignment.late_policy = policy
    db.session.commit()


def test_the_upload_keeps_what_it_is_for(started, klass, assignment):
    upload = db.session.scalar(db.select(Upload).where(Upload.owner_id == klass.student.id))
    assert (upload.purpose, upload.purpose_id) == ("assignment", assignment.id)


def test_a_resume_after_the_close_is_refused_before_its_body_with_the_reason(app, started, assignment):
    """The assignment closes while the phone's upload waits: is the next PATCH answered 403 with the
    reason in plain text, nothing of its body kept, while HEAD still answers the offset?"""
    client, url = started
    _close(assignment)
    refused = _patch(client, url, VIDEO[10_000:20_000], 10_000)
    assert refused.status_code == 403
    assert refused.mimetype == "text/plain"
    assert "This assignment has closed" in refused.get_data(as_text=True)
    assert refused.headers["Tus-Resumable"] == "1.0.0"
    assert _head_offset(client, url) == 10_000  # nothing of the refused chunk was taken in
    # The page's own uploader asks for JSON and gets the same sentence there.
    as_page = _patch(client, url, VIDEO[10_000:20_000], 10_000, Accept="application/json")
    assert as_page.status_code == 403
    assert "This assignment has closed" in as_page.get_json()["error"]["message"]
    # Tunnelled through POST (X-HTTP-Method-Override), the same.
    tunnelled = client.post(url, data=VIDEO[10_000:20_000], headers={
        **TUS, "X-HTTP-Method-Override": "PATCH", "Upload-Offset": "10000", "Content-Type": CHUNK_TYPE,
        "X-CSRFToken": client.csrf_token()})
    assert tunnelled.status_code == 403
    assert _head_offset(client, url) == 10_000


def test_the_body_is_not_read_once_refused(app, started, assignment, monkeypatch):
    """Refused before the body: the chunk's bytes are never asked for."""
    from lms.uploads import routes

    client, url = started
    _close(assignment)
    opened = []
    monkeypatch.setattr(routes, "open_body", lambda *a: opened.append(a) or pytest.fail("body read"))
    assert _patch(client, url, VIDEO[10_000:20_000], 10_000).status_code == 403
    assert opened == []


def test_due_time_passed_refuses_only_when_the_late_policy_refuses(started, assignment):
    client, url = started
    _close(assignment, hard=False, policy=LatePolicy.accept)  # late work is taken: the upload goes on
    assert _patch(client, url, VIDEO[10_000:20_000], 10_000).status_code == 204
    _close(assignment, hard=False, policy=LatePolicy.refuse)
    refused = _patch(client, url, VIDEO[20_000:], 20_000)
    assert refused.status_code == 403
    assert "does not take late work" in refused.get_data(as_text=True)
    assert _head_offset(client, url) == 20_000


def test_an_extension_granted_after_the_close_lets_the_upload_go_on(started, klass, assignment):
    client, url = started
    _close(assignment)
    assert _patch(client, url, VIDEO[10_000:20_000], 10_000).status_code == 403
    hw_ops.grant_extension(db.session.get(Assignment, assignment.id), [klass.student], klass.teacher,
                           due_at=later(days=2), closes_at=later(days=3))
    db.session.commit()
    assert _patch(client, url, VIDEO[10_000:], 10_000).status_code == 204
    assert _head_offset(client, url) == len(VIDEO)


def test_an_extension_of_another_student_changes_nothing(started, klass, assignment):
    client, url = started
    _close(assignment)
    hw_ops.grant_extension(db.session.get(Assignment, assignment.id), [klass.classmate], klass.teacher,
                           due_at=later(days=2), closes_at=later(days=3))
    db.session.commit()
    assert _patch(client, url, VIDEO[10_000:20_000], 10_000).status_code == 403


def test_a_student_removed_from_the_circle_is_refused(started, klass):
    client, url = started
    membership = db.session.scalar(db.select(Membership).where(
        Membership.circle_id == klass.circle.id, Membership.user_id == klass.student.id))
    remove_member(membership, klass.teacher)
    db.session.commit()
    refused = _patch(client, url, VIDEO[10_000:20_000], 10_000)
    assert refused.status_code == 403
    assert "no longer a student of this circle" in refused.get_data(as_text=True)
    assert _head_offset(client, url) == 10_000


def test_an_assignment_taken_back_to_draft_or_deleted_refuses(started, klass, assignment):
    client, url = started
    hw_ops.update_assignment(db.session.get(Assignment, assignment.id), klass.teacher, publish=False)
    db.session.commit()
    refused = _patch(client, url, VIDEO[10_000:20_000], 10_000)
    assert refused.status_code == 403 and "taken back to draft" in refused.get_data(as_text=True)
    hw_ops.delete_assignment(db.session.get(Assignment, assignment.id), klass.teacher)
    db.session.commit()
    refused = _patch(client, url, VIDEO[10_000:20_000], 10_000)
    assert refused.status_code == 403 and "was deleted" in refused.get_data(as_text=True)
    assert _head_offset(client, url) == 10_000


def test_a_creation_after_the_close_is_refused_in_plain_text(klass, client_as, assignment):
    """A tus app creating the upload (with its first chunk) after the close: 403 with the reason, no upload."""
    _close(assignment)
    client = client_as(klass.student)
    refused = _tus_create(client, "assignment", assignment.id, body=VIDEO[:10_000])
    assert refused.status_code == 403 and refused.mimetype == "text/plain"
    assert "has closed" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Upload.id))) == 0


def test_uploads_without_a_purpose_or_with_another_go_on(app, request, klass, client_as, assignment):
    """Closing an assignment touches only the uploads made for it."""
    client = client_as(klass.student)
    _close(assignment)
    for extra in ({}, {"circle_id": klass.circle.id}):
        created = start(client, 20_000, kind="file", **extra)
        assert created.status_code == 201
        body = created.get_json()
        request.addfinalizer(lambda t=body["token"]: parts.remove(parts.part_path(app.config["UPLOAD_DIR"], t)))
        assert _patch(client, body["url"], b"x" * 20_000, 0).status_code == 204


def test_the_check_costs_one_query_per_chunk_and_none_without_a_purpose(app, request, started, klass, client_as,
                                                                          count_queries):
    """The PATCH hot path (65b5fb4): an assignment's upload asks one statement more per chunk than an
    upload without a purpose, which asks nothing more than before."""
    client, url = started
    plain = start(client, 30_000, kind="file").get_json()
    request.addfinalizer(lambda: parts.remove(parts.part_path(app.config["UPLOAD_DIR"], plain["token"])))
    _patch(client, plain["url"], b"x" * 100, 0)  # warm up
    with count_queries as counter:
        assert _patch(client, plain["url"], b"x" * 100, 100).status_code == 204
    without = list(counter.statements)
    with count_queries as counter:
        assert _patch(client, url, VIDEO[10_000:10_100], 10_000).status_code == 204
    assert len(counter.statements) == len(without) + 1
    assert sum("assignments" in s for s in counter.statements) == 1


def test_the_reason_is_in_the_uploaders_language(app, request, make, client_as):
    """A phone's tus app sends no Accept-Language: the reason is written in the language remembered
    on the account (the profile's when set)."""
    from lms.uploads import operations as ops

    # A purpose whose refusal is the locale it was asked in (the upload is made directly: its
    # creation's checker is not what is tested here).
    register_upload_purpose(app, "test_refuses", _never, accepts_bytes=_locale_of_the_request)

    user = make.user()
    user.browser_locale = "zh_Hant"
    db.session.commit()
    upload = ops.start_upload(user, filename="x.bin", size=100, through_app=True, purpose="test_refuses",
                              purpose_id=1)
    db.session.commit()
    request.addfinalizer(lambda: parts.remove(parts.part_path(app.config["UPLOAD_DIR"], upload.token)))
    client = client_as(user)
    refused = _patch(client, f"/uploads/{upload.token}", b"x" * 10, 0)
    assert refused.status_code == 403 and refused.get_data(as_text=True) == "zh_Hant"
    user.locale = "zh_Hans"
    db.session.commit()
    assert _patch(client, f"/uploads/{upload.token}", b"x" * 10, 0).get_data(as_text=True) == "zh_Hans"


def _never(user, purpose_id):
    return None


def _locale_of_the_request(upload):
    return str(get_locale())


def test_direct_to_bucket_parts_get_no_urls_after_the_close(app, s3_storage, monkeypatch, klass, client_as,
                                                            assignment):
    """The page's S3 path: once the assignment closed, no presigned URL for more parts (the page shows why)."""
    monkeypatch.setitem(app.extensions, "lms_storage", s3_storage)
    client = client_as(klass.student)
    created = start(client, 6 * 1024 * 1024, purpose="assignment", purpose_id=assignment.id)
    assert created.status_code == 201 and created.get_json()["mode"] == "s3"
    url = created.get_json()["url"]

    def presign():
        return client.post(f"{url}/parts", json={"numbers": [1]},
                           headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"})

    assert presign().status_code == 200
    _close(assignment)
    refused = presign()
    assert refused.status_code == 403 and "has closed" in refused.get_json()["error"]["message"]
