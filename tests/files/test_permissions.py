"""Every route of the Files tab × every role: a stranger gets 404, a member without the role 403."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.files import operations as ops

ROLES = ["stranger", "student", "assistant", "teacher", "owner", "admin"]
MEMBERS = {"student", "assistant", "teacher", "owner", "admin"}
STAFF = {"assistant", "teacher", "owner", "admin"}
TEACHING = {"teacher", "owner", "admin"}

#: (method, path under /c/<circle>/files, who may, form data)
ROUTES = [
    ("GET", "", MEMBERS, None),
    ("GET", "/f/{folder}", MEMBERS, None),
    ("GET", "/f/{folder}/zip", MEMBERS, None),
    ("GET", "/{file}", MEMBERS, None),
    ("GET", "/trash", STAFF, None),
    ("GET", "/settings", TEACHING, None),
    ("POST", "/settings", TEACHING, {"members_may_upload": ""}),
    ("GET", "/f/{folder}/may-upload?size=1", STAFF, None),
    ("POST", "/f/{folder}/add", STAFF, {"media_id": ["0"]}),
    ("POST", "/f/{folder}/folders", STAFF, {"name": "New"}),
    ("POST", "/f/{folder}/rename", STAFF, {"name": "Renamed"}),
    ("POST", "/f/{folder}/move", STAFF, {"target_id": "{root}"}),
    ("POST", "/f/{folder}/delete", STAFF, {}),
    ("POST", "/f/{folder}/restore", STAFF, {}),
    ("GET", "/{file}/may-replace?size=1", STAFF, None),
    ("POST", "/{file}/replace", STAFF, {"media_id": ["0"]}),
    ("POST", "/{file}/rename", STAFF, {"name": "x.txt"}),
    ("POST", "/{file}/move", STAFF, {"target_id": "{root}"}),
    ("POST", "/{file}/delete", STAFF, {}),
    ("POST", "/{file}/restore", STAFF, {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path,allowed,data", ROUTES, ids=[f"{m} {p}" for m, p, _a, _d in ROUTES])
def test_route_by_role(drive, put, client_as, role, method, path, allowed, data):
    """May `role` use this route? Strangers 404, members without the role 403, the rest not refused."""
    file = put(drive.klass.teacher, drive.handouts, "sheet.txt", b"hello")
    fmt = {"folder": drive.handouts.id, "file": file.id, "root": drive.root.id}
    url = drive.base + path.format(**fmt)
    client = client_as(getattr(drive.klass, role))
    if method == "GET":
        response = client.get(url)
    else:
        form = {k: ([x.format(**fmt) for x in v] if isinstance(v, list) else v.format(**fmt)) for k, v in data.items()}
        response = client.post(url, data=form)
    response.close()
    if role == "stranger":
        assert response.status_code == 404
    elif role in allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
    else:
        assert response.status_code == 403


def test_a_file_of_another_circle_is_404_through_this_circle(drive, put, client_as, make):
    """Is a file id of another circle, asked for under this circle, a 404 even for this circle's staff?"""
    other = make.circle(owner=drive.klass.owner)
    other_root = ops.root_folder(other)
    db.session.commit()
    elsewhere = put(drive.klass.owner, other_root, "other.txt", b"other")
    teacher = client_as(drive.klass.teacher)
    assert teacher.get(f"{drive.base}/{elsewhere.id}").status_code == 404
    assert teacher.get(f"{drive.base}/f/{other_root.id}").status_code == 404
    assert teacher.post(f"{drive.base}/{elsewhere.id}/delete").status_code == 404


def test_members_do_not_see_the_trash(drive, put, client_as):
    """Is a file in the trash, and a folder in the trash, 404 for a student?"""
    file = put(drive.klass.teacher, drive.handouts, "gone.txt", b"x")
    ops.trash_folder(drive.handouts, drive.klass.teacher)
    db.session.commit()
    student = client_as(drive.klass.student)
    assert student.get(f"{drive.base}/{file.id}").status_code == 404
    assert student.get(f"{drive.base}/f/{drive.handouts.id}").status_code == 404
    assert student.get(f"{drive.base}/f/{drive.handouts.id}/zip").status_code == 404
