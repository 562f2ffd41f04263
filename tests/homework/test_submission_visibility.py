"""Who may see a submission is decided once (Assignment.submission_scope, behind Submission.can_view and
queries.visible_submissions): every entry point — the submission page, its media URLs, the comments
API, the gallery, SpeedGrader, the Socket.IO watch — answers the same for each role, and a stranger
gets 404 everywhere."""
from __future__ import annotations

import contextvars
from dataclasses import dataclass

import pytest

from lms.circles import operations as circle_ops
from lms.circles.models import Membership, Role
from lms.extensions import db, socketio
from lms.homework import queries as q
from lms.homework.models import Accepts, LatePolicy, PeerVisibility, Submission, SubmissionScope
from lms.orgs import operations as org_ops
from lms.orgs.models import OrgRole
from lms.uploads.access import Rendition, Subject, sign
from tests.fixtures.homework import ago

STAFF = ("owner", "teacher", "assistant", "org_admin", "site_admin")
ROLES = (*STAFF, "author", "classmate", "removed", "stranger")
#: the gallery setting, and whether the classmate has handed in their own work
VISIBILITY = {
    "off": (PeerVisibility.hidden, False),
    "after_submit, not yet handed in": (PeerVisibility.after_submit, False),
    "after_submit, handed in": (PeerVisibility.after_submit, True),
    "always (after a past due time)": (PeerVisibility.after_due, False),
}


@dataclass
class World:
    users: dict
    circle: object
    assignment: object
    earlier: Submission  #: the author's first version
    latest: Submission  #: the author's second version


@pytest.fixture(params=list(VISIBILITY), ids=list(VISIBILITY))
def world(request, klass, hw, make) -> World:
    """The author handed in two versions of a video assignment due yesterday (late work accepted); the
    classmate maybe their own; a former student was removed; the circle sits in a school with an admin."""
    visibility, classmate_submitted = VISIBILITY[request.param]
    users = dict(klass.users)
    users["author"], users["site_admin"] = users.pop("student"), users.pop("admin")
    users["removed"], users["org_admin"] = make.user("Removed Student"), make.user("School Admin")
    circle = klass.circle
    removed = circle_ops.add_member(circle, users["removed"], Role.student)
    org = org_ops.create_org("The School")
    org_ops.add_org_member(org, users["org_admin"], OrgRole.admin)
    org_ops.place_circle(circle, org, users["owner"])
    db.session.commit()
    assignment = hw.assignment(circle, accepts=Accepts.video, due_at=ago(days=1), late_policy=LatePolicy.accept,
                               peer_visibility=visibility)
    hw.submission(assignment, users["removed"])
    circle_ops.remove_member(db.session.get(Membership, removed.id), users["owner"])
    db.session.commit()
    earlier = hw.submission(assignment, users["author"])
    latest = hw.submission(assignment, users["author"])
    if classmate_submitted:
        hw.submission(assignment, users["classmate"])
    return World(users, circle, assignment, earlier, latest)


def may_see(role: str, version: str, world: World) -> bool:
    """The rule, written out by hand: staff every version, the author theirs, a classmate the latest
    once the gallery has opened for them, nobody else anything."""
    if role in STAFF or role == "author":
        return True
    if role != "classmate" or version != "latest":
        return False
    visibility = world.assignment.peer_visibility
    if visibility == PeerVisibility.after_due:
        return True
    return visibility == PeerVisibility.after_submit and q.has_submitted(world.assignment, world.users["classmate"])


def _status(allowed: bool, role: str) -> int:
    return 200 if allowed else (404 if role in ("removed", "stranger") else 403)


@pytest.mark.parametrize("version", ["latest", "earlier"])
@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_answers_the_same(app, world, client_as, role, version):
    """Do the page, a media URL, the comments API, the comments' Socket.IO watch, the gallery, SpeedGrader,
    the predicate and the query
    agree on whether `role` may see this version — with 404 for the stranger and the removed student?"""
    viewer = world.users[role]
    submission = getattr(world, version)
    allowed = may_see(role, version, world)
    base = f"/circles/{world.circle.id}/assignments/{world.assignment.id}"
    page = f"{base}/submissions/{submission.id}"
    client = client_as(viewer)

    # The rule itself: the predicate and the query that lists.
    assert db.session.get(Submission, submission.id).can_view(viewer) is allowed
    listed = set(db.session.scalars(q.visible_submissions(world.assignment, viewer).with_only_columns(Submission.id)))
    assert (submission.id in listed) is allowed

    # The submission page and the comments API.
    assert client.get(page).status_code == _status(allowed, role)
    comments = client.get(f"{page}/comments", headers={"Accept": "application/json"})
    assert comments.status_code == _status(allowed, role)

    # A media URL signed for this viewer: served only while the rule allows (else 404, never 403).
    media = db.session.get(Submission, submission.id).media
    token = sign(viewer.id, media, Rendition.state, Subject("submission", submission.id))
    assert client.get(f"/m/{token}/state").status_code == (200 if allowed else 404)

    # The gallery lists classmates' latest versions: this one exactly when the viewer may see it.
    gallery = client.get(f"{base}/gallery")
    in_gallery = gallery.status_code == 200 and f'href="{page}"' in gallery.get_data(as_text=True)
    assert in_gallery is (allowed and version == "latest" and role != "author")
    if role in ("removed", "stranger"):
        assert gallery.status_code == 404

    # The Socket.IO watch of the submission's comments (a page joins its room after the same check).
    sock = contextvars.Context().run(socketio.test_client, app, namespace="/homework",
                                     flask_test_client=client)
    ids = {"circle_id": world.circle.id, "assignment_id": world.assignment.id, "submission_id": submission.id}
    assert sock.emit("watch", ids, namespace="/homework", callback=True)["ok"] is allowed
    sock.disconnect(namespace="/homework")

    # SpeedGrader shows every version of the author's work, to staff only.
    grader = client.get(f"{base}/grade/{world.users['author'].id}?version={submission.version}")
    assert grader.status_code == (200 if role in STAFF else _status(False, role))
    if role in STAFF:
        assert f"/submissions/{submission.id}/comments" in grader.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_the_scope_names_the_viewer_s_rule(world, role):
    """Does the assignment give each role the scope the matrix expects (staff all, stranger none)?"""
    scope = world.assignment.submission_scope(world.users[role])
    if role in STAFF:
        assert scope == SubmissionScope.all
    elif role in ("removed", "stranger"):
        assert scope == SubmissionScope.none
    elif role == "author":
        assert scope in (SubmissionScope.own, SubmissionScope.own_and_classmates)
    else:
        assert (scope == SubmissionScope.own_and_classmates) is may_see("classmate", "latest", world)


def test_a_classmate_never_sees_an_earlier_version_through_the_history(world, client_as):
    """Does the submission page's list of versions, built on the same query, hold only the latest for a
    classmate (and every version for the author)?"""
    page = f"/circles/{world.circle.id}/assignments/{world.assignment.id}/submissions/{world.latest.id}"
    if not may_see("classmate", "latest", world):  # the gallery is closed for the classmate here
        assert q.submission_history(world.assignment, world.users["author"].id, world.users["classmate"]) == []
        assert client_as(world.users["classmate"]).get(page).status_code in (403, 404)
        return
    assert [s.id for s in q.submission_history(world.assignment, world.users["author"].id,
                                               world.users["classmate"])] == [world.latest.id]
    assert [s.id for s in q.submission_history(world.assignment, world.users["author"].id,
                                               world.users["author"])] == [world.latest.id, world.earlier.id]
    html = client_as(world.users["classmate"]).get(page).get_data(as_text=True)
    assert f"/submissions/{world.earlier.id}\"" not in html
