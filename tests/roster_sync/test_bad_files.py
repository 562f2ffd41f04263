"""Broken OneRoster zips: each is refused with a message naming the file, line and column, and changes nothing."""
from __future__ import annotations

import io
import zipfile

import pytest

from lms.circles.models import Circle
from lms.extensions import db
from lms.roster_sync import routes as roster_routes
from lms.roster_sync.models import RosterImport, RosterLink
from lms.roster_sync.oneroster import RosterFileError, read_roster_zip
from tests.roster_sync import sample
from tests.roster_sync.sample import HEADERS, csv_bytes, manifest, roster_zip, sample_rows, table, zip_of


def _rows_with(file: str, index: int, **values) -> dict:
    rows = sample_rows()
    rows[file][index].update(values)
    return rows


def _without_column(file: str, column: str) -> bytes:
    rows = sample_rows()
    headers = [h for h in HEADERS[file] if h != column]
    return roster_zip(rows, extra={file: csv_bytes(table(file, rows[file], headers))})


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", csv_bytes(manifest({"users.csv": "bulk"})))
        archive.writestr("users.csv", b"0" * (20 * 1024 * 1024))
    return out.getvalue()


def _gb18030_users() -> bytes:
    rows = sample_rows()
    data = csv_bytes(table("users.csv", rows["users.csv"])).decode().encode("gb18030")  # 王小明 on line 4
    return roster_zip(rows, extra={"users.csv": data})


#: (case, zip bytes, file, line, column, words of the message)
CASES = [
    ("not a zip", lambda: b"sourcedId,name\n1,x\n", "roster.zip", None, None, "not a zip"),
    ("missing manifest", lambda: roster_zip(drop=("manifest.csv",)), "manifest.csv", None, None, "no manifest.csv"),
    ("manifest in a folder", lambda: zip_of({"export/manifest.csv": csv_bytes(manifest({"users.csv": "bulk"})),
                                             "export/users.csv": b"sourcedId\n"}),
     "manifest.csv", None, None, "inside a folder"),
    ("bad manifest mode", lambda: roster_zip(modes={**{n: "bulk" for n in sample_rows()}, "users.csv": "full"}),
     "manifest.csv", "any", "value", "bulk, delta or absent"),
    ("file named but missing", lambda: roster_zip(drop=("users.csv",)), "manifest.csv", "any", "value",
     "has no such file"),
    ("wrong version", lambda: zip_of({"manifest.csv": csv_bytes(manifest({"users.csv": "bulk"}, version="1.0")),
                                      "users.csv": csv_bytes(table("users.csv", []))}),
     "manifest.csv", 3, "value", "oneroster.version"),
    ("wrong manifest version", lambda: zip_of({"manifest.csv": csv_bytes([r if r[0] != "manifest.version"
                                                                          else [r[0], "2.0"]
                                                                          for r in manifest({"users.csv": "bulk"})]),
                                               "users.csv": csv_bytes(table("users.csv", []))}),
     "manifest.csv", 2, "value", "manifest.version"),
    ("missing required column", lambda: _without_column("enrollments.csv", "userSourcedId"), "enrollments.csv", 1,
     "userSourcedId", "required column"),
    ("missing required value", lambda: roster_zip(_rows_with("classes.csv", 1, title="")), "classes.csv", 3, "title",
     "value is required"),
    ("bad enum value", lambda: roster_zip(_rows_with("enrollments.csv", 2, role="pupil")), "enrollments.csv", 4, "role",
     "“pupil” is not one of"),
    ("bad class type", lambda: roster_zip(_rows_with("classes.csv", 0, classType="lecture")), "classes.csv", 2,
     "classType", "not one of"),
    ("bad date", lambda: roster_zip(_rows_with("academicSessions.csv", 0, startDate="01/09/2026")),
     "academicSessions.csv", 2, "startDate", "YYYY-MM-DD"),
    ("bad boolean", lambda: roster_zip(_rows_with("users.csv", 0, enabledUser="yes")), "users.csv", 2, "enabledUser",
     "not one of"),
    ("bad email", lambda: roster_zip(_rows_with("users.csv", 1, email="alan at hill")), "users.csv", 3, "email",
     "not an email address"),
    ("bad sourcedId", lambda: roster_zip(_rows_with("users.csv", 1, sourcedId="alan aide")), "users.csv", 3,
     "sourcedId", "not a valid sourcedId"),
    ("duplicate sourcedId", lambda: roster_zip(_rows_with("users.csv", 4, sourcedId=sample.S_ADA)), "users.csv", 6,
     "sourcedId", "also on line 5"),
    ("unknown class", lambda: roster_zip(_rows_with("enrollments.csv", 3, classSourcedId="no-such-class")),
     "enrollments.csv", 5, "classSourcedId", "No class has the sourcedId no-such-class"),
    ("unknown user", lambda: roster_zip(_rows_with("enrollments.csv", 3, userSourcedId="ghost")),
     "enrollments.csv", 5, "userSourcedId", "No user has the sourcedId ghost"),
    ("unknown school", lambda: roster_zip(_rows_with("classes.csv", 0, schoolSourcedId="nowhere")),
     "classes.csv", 2, "schoolSourcedId", "No org has"),
    ("delta without status", lambda: roster_zip(mode="delta"), "orgs.csv", 2, "status", "value is required"),
    ("delta bad status", lambda: roster_zip({"users.csv": [dict(sample_rows()["users.csv"][0], status="inactive",
                                                                dateLastModified="2026-10-01T08:00:00Z")]},
                                            mode="delta"), "users.csv", 2, "status", "not one of"),
    ("delta bad timestamp", lambda: roster_zip({"users.csv": [dict(sample_rows()["users.csv"][0], status="active",
                                                                   dateLastModified="2026-10-01")]},
                                               mode="delta"), "users.csv", 2, "dateLastModified", "date and time"),
    ("wrong encoding", _gb18030_users, "users.csv", 4, None, "not UTF-8"),
    ("short line", lambda: roster_zip(extra={"orgs.csv": csv_bytes(table("orgs.csv", sample_rows()["orgs.csv"]))
                                             + b"x,y\r\n"}), "orgs.csv", 4, None, "cells"),
    ("duplicate email", lambda: roster_zip(_rows_with("users.csv", 4, email="ada@hill.example")), "users.csv", 6,
     "email", "also on line 5"),
    ("path traversal", lambda: roster_zip(extra={"../../etc/evil.csv": b"x"}), "roster.zip", None, None,
     "unsafe name"),
    ("absolute path", lambda: roster_zip(extra={"/tmp/evil.csv": b"x"}), "roster.zip", None, None, "unsafe name"),
    ("zip bomb", _bomb, "roster.zip", None, None, "zip bomb"),
]


@pytest.mark.parametrize("case, build, file, line, column, words", CASES, ids=[c[0] for c in CASES])
def test_bad_zip_is_refused_naming_file_line_and_column(tmp_path, case, build, file, line, column, words):
    """Does the reader refuse the broken zip with a problem at the right file, line and column?"""
    path = tmp_path / "roster.zip"
    path.write_bytes(build())
    with pytest.raises(RosterFileError) as caught:
        read_roster_zip(path, name="roster.zip")
    problems = caught.value.problems
    match = [p for p in problems if p.file == file and (line == "any" or p.line == line) and p.column == column
             and words in p.message]
    assert match, [(p.file, p.line, p.column, p.message) for p in problems]


def test_sample_set_reads_with_and_without_bom(tmp_path):
    """Does the sample set read as UTF-8 with a byte order mark and without, courses.csv noted as not read?"""
    for bom in (True, False):
        path = tmp_path / f"r{bom}.zip"
        path.write_bytes(roster_zip(bom=bom))
        roster = read_roster_zip(path)
        assert roster.version == "1.2" and len(roster.of("users.csv")) == 6 and len(roster.of("enrollments.csv")) == 8
        assert roster.of("users.csv")[sample.S_WANG]["givenName"] == "小明"
        assert roster.ignored == ["courses.csv"]


@pytest.mark.parametrize("case", ["missing manifest", "unknown class", "wrong encoding", "path traversal"])
def test_bad_upload_shows_the_problem_and_changes_nothing(client, login, upload, school, case):
    """Is a bad upload answered 422 with the translated message naming the place, and nothing kept?"""
    build = next(c[1] for c in CASES if c[0] == case)
    login(school.admin)
    circles = db.session.scalar(db.select(db.func.count()).select_from(Circle))
    response = upload(school.org, build())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page
    if case == "unknown class":
        assert "enrollments.csv, line 5, column classSourcedId" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(RosterImport)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(RosterLink)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Circle)) == circles


def test_too_large_upload_is_refused(client, login, upload, school, monkeypatch):
    """Is a zip over the size bound refused with the bound in the message, nothing kept?"""
    monkeypatch.setattr(roster_routes, "MAX_ZIP_BYTES", 1000)
    login(school.admin)
    response = upload(school.org, roster_zip() + b"\0" * 2000)
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(RosterImport)) == 0


def test_account_already_linked_to_another_user_is_refused(client, login, upload, school):
    """When an email in users.csv belongs to an account linked to another sourcedId, is the file refused?"""
    login(school.admin)
    response = upload(school.org, roster_zip())
    client.post(response.headers["Location"] + "/apply")
    rows = sample_rows()
    rows["users.csv"].append(dict(rows["users.csv"][3], sourcedId="33333333-aaaa-4bbb-8ccc-000000000099",
                                  email="ada@hill.example"))
    rows["users.csv"][3]["email"] = ""
    response = upload(school.org, roster_zip(rows))
    assert response.status_code == 422
    assert "already linked to the user" in response.get_data(as_text=True)


def test_many_problems_stop_at_the_bound(client, login, upload, school):
    """Does a file with hundreds of bad lines list only the first ones, and say so?"""
    from lms.roster_sync.oneroster import MAX_PROBLEMS
    rows = sample_rows()
    rows["users.csv"] = [dict(rows["users.csv"][0], sourcedId=f"u-{n}", enabledUser="maybe", email="")
                         for n in range(300)]
    login(school.admin)
    response = upload(school.org, roster_zip(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.count("column enabledUser") == MAX_PROBLEMS
    assert f"Only the first {MAX_PROBLEMS} problems are listed" in page
