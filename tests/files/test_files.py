"""The circle's files: adding, versions, rename and move, trash, restore and purge, members' uploads,
quotas, downloads that never render, hostile names, ZIPs of folders."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db
from lms.files import operations as ops
from lms.files.models import CircleFile, FileSettings, FileVersion, Folder
from lms.storage import get_storage
from lms.uploads.models import Media
from tests.files.conftest import upload_media
from tests.fixtures.app import page_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def fetch(client, url: str):
    """GET `url`, read the body and close the response (a streamed file is closed, as a server would)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _file_page(client, drive, file):
    return client.get(f"{drive.base}/{file.id}")


def _links(text: str, marker: str) -> list[str]:
    import re

    return re.findall(r'href="([^"]*/files/%s/[^"]+)"' % marker, text)


def test_teacher_adds_a_file_and_a_member_downloads_it(drive, put, client_as):
    """Does a file the teacher uploads show in the folder, and does a student download its bytes?"""
    file = put(drive.klass.teacher, drive.handouts, "notes.pdf", PDF)
    assert file.current_version.content_type == "application/pdf"
    student = client_as(drive.klass.student)
    page = student.get(f"{drive.base}/f/{drive.handouts.id}")
    assert page.status_code == 200 and "notes.pdf" in page_text(page)
    link = _links(page.get_data(as_text=True), "get")[0]
    got = fetch(student, link)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Content-Type"] == "application/octet-stream"


def test_a_download_link_is_for_its_viewer_only_and_checked_again(drive, put, client_as):
    """Can another person use a student's signed link, and does it stop when the student leaves?"""
    from lms.circles import operations as circle_ops

    file = put(drive.klass.teacher, drive.handouts, "notes.pdf", PDF)
    student = client_as(drive.klass.student)
    link = _links(_file_page(student, drive, file).get_data(as_text=True), "get")[0]
    assert client_as(drive.klass.classmate).get(link).status_code == 404
    assert client_as(drive.klass.stranger).get(link).status_code == 404
    circle_ops.leave_circle(drive.klass.circle.membership_of(drive.klass.student))
    db.session.commit()
    assert fetch(student, link).status_code == 404


def test_an_html_file_downloads_and_never_renders(drive, put, client_as):
    """An HTML page uploaded as "report.pdf": is it sniffed as unknown, downloaded as an opaque
    attachment with nosniff, and refused inline?"""
    file = put(drive.klass.teacher, drive.handouts, "report.pdf", HTML)
    assert file.current_version.content_type == "application/octet-stream"
    student = client_as(drive.klass.student)
    text = _file_page(student, drive, file).get_data(as_text=True)
    assert "/files/view/" not in text  # no inline preview offered
    got = fetch(student, _links(text, "get")[0])
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    token = _links(text, "get")[0].rsplit("/", 1)[1]
    assert fetch(student, f"/files/view/{token}").status_code == 404


def test_an_image_is_previewed_from_a_sandboxed_response(drive, put, client_as, tiny_png):
    """Is a PNG shown inline with its sniffed type, in a sandbox, never as an attachment?"""
    file = put(drive.klass.teacher, drive.handouts, "photo.bin", tiny_png)
    assert file.current_version.content_type == "image/png"
    student = client_as(drive.klass.student)
    text = _file_page(student, drive, file).get_data(as_text=True)
    view = [u for u in __import__("re").findall(r'src="([^"]*/files/view/[^"]+)"', text)]
    got = fetch(student, view[0])
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in got.headers["Content-Security-Policy"]


def test_a_pdf_is_previewed_in_the_page_by_the_browsers_viewer(drive, put, client_as):
    """On local storage, does a PDF's page frame it from a URL that answers application/pdf inline (the
    browser's own viewer), its type fixed (nosniff), scripts and other loads refused by its CSP, framed only by
    the app's own pages?"""
    import re

    file = put(drive.klass.teacher, drive.handouts, "week 1.pdf", PDF)
    student = client_as(drive.klass.student)
    text = _file_page(student, drive, file).get_data(as_text=True)
    frame = re.search(r'<iframe src="([^"]*/files/view/[^"]+)"', text)
    assert frame is not None
    got = fetch(student, frame.group(1).replace("&amp;", "&"))
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert got.headers["X-Content-Type-Options"] == "nosniff" and got.headers["X-Frame-Options"] == "SAMEORIGIN"
    csp = got.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'self'" in csp
    assert fetch(client_as(drive.klass.stranger), frame.group(1).replace("&amp;", "&")).status_code == 404


HOSTILE = [
    "../../etc/passwd",
    "evil\u202Egpj.exe",
    "line\r\nSet-Cookie: x=1.txt",
    "报告" * 150 + ".pdf",
    "讲义 第一周.pdf",
]


def test_hostile_names_are_safe_in_headers_and_zip_entries(drive, put, client_as):
    """Path traversal, a right-to-left override, CRLF, a 300-character Chinese name: are the stored
    names, the Content-Disposition headers and the ZIP's entries all harmless?"""
    files = [put(drive.klass.teacher, drive.handouts, name, PDF) for name in HOSTILE]
    names = [f.name for f in files]
    assert all("/" not in n and "\u202e" not in n and "\r" not in n and "\n" not in n for n in names)
    assert "讲义 第一周.pdf" in names
    student = client_as(drive.klass.student)
    for file in files:
        text = _file_page(student, drive, file).get_data(as_text=True)
        header = fetch(student, _links(text, "get")[0]).headers["Content-Disposition"]
        assert "\r" not in header and "\n" not in header and "/" not in header.split("filename*")[0]
        assert header.isascii()
    archive = zipfile.ZipFile(io.BytesIO(fetch(student, f"{drive.base}/f/{drive.handouts.id}/zip").data))
    entries = archive.namelist()
    assert len(entries) == len(HOSTILE)
    for entry in entries:
        parts = entry.split("/")
        assert parts[0] == "Handouts" and len(parts) == 2
        assert ".." not in parts and not entry.startswith("/") and "\u202e" not in entry and "\r" not in entry
        assert len(parts[1].encode()) <= 200
    assert "Handouts/讲义 第一周.pdf" in entries
    assert all(archive.read(e) == PDF for e in entries)


def test_a_folder_zip_holds_current_versions_and_subfolders_not_the_trash(drive, put, client_as):
    """Does the ZIP of a folder hold its subfolders' files, current versions only, nothing deleted,
    and two files whose names differ only in case both?"""
    week = ops.create_folder(drive.handouts, drive.klass.teacher, "Week 1")
    db.session.commit()
    put(drive.klass.teacher, week, "a.txt", b"first")
    put(drive.klass.teacher, drive.handouts, "b.txt", b"bee")
    gone = put(drive.klass.teacher, drive.handouts, "gone.txt", b"gone")
    teacher = client_as(drive.klass.teacher)
    assert teacher.post(f"{drive.base}/{gone.id}/delete").status_code == 302
    response = client_as(drive.klass.student).get(f"{drive.base}/f/{drive.handouts.id}/zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.data)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["Handouts/Week 1/a.txt", "Handouts/b.txt"]
    assert archive.read("Handouts/Week 1/a.txt") == b"first"


def test_replacing_keeps_history_and_older_versions_are_for_staff(drive, put, client_as):
    """After a replace, is the new version current, the old one listed and downloadable by the staff,
    and refused to a student holding its URL?"""
    file = put(drive.klass.teacher, drive.handouts, "plan.txt", b"version one")
    old = file.current_version
    teacher = client_as(drive.klass.teacher)
    media_id = upload_media(teacher, drive.klass.circle, b"version two", "plan-v2.txt", purpose="file_version",
                            purpose_id=file.id)
    assert teacher.post(f"{drive.base}/{file.id}/replace", data={"media_id": [media_id]}).status_code == 302
    db.session.refresh(file)
    assert file.current_version.number == 2 and file.name == "plan.txt"
    assert [v.number for v in file.versions] == [2, 1]
    text = _file_page(teacher, drive, file).get_data(as_text=True)
    links = _links(text, "get")
    assert len(links) == 3  # the download button, and each version's link
    bodies = {fetch(teacher, link).data for link in links}
    assert bodies == {b"version one", b"version two"}
    old_link = [link for link in links if fetch(teacher, link).data == b"version one"][0]
    assert "plan (v1).txt" in fetch(teacher, old_link).headers["Content-Disposition"]
    # a student's own page offers only the current version; a URL signed for them for the old one fails
    student = client_as(drive.klass.student)
    student_text = _file_page(student, drive, file).get_data(as_text=True)
    assert "Version 1" not in student_text
    from lms.files.models import FileVersion
    from lms.uploads import access
    from lms.uploads.access import Rendition, Subject

    token = access.sign(drive.klass.student.id, db.session.get(Media, old.media_id), Rendition.file,
                        Subject("circle_file", old.id))
    assert fetch(student, f"/files/get/{token}").status_code == 404
    assert db.session.get(FileVersion, old.id) is not None


def test_versions_name_their_uploaders_by_their_circle_identity(drive, put, client_as):
    """The history lists who uploaded each version: is it the name the circle knows them by ("Teacher In
    Class", "Student In Class"), not their account name ("Teacher", "Student")?"""
    import re

    klass = drive.klass
    settings = db.session.get(FileSettings, klass.circle.id) or FileSettings(circle_id=klass.circle.id)
    settings.members_may_upload, settings.member_folder_id = True, drive.handouts.id
    db.session.add(settings)
    db.session.commit()
    file = put(klass.student, drive.handouts, "notes.txt", b"one")
    teacher = client_as(klass.teacher)
    media_id = upload_media(teacher, klass.circle, b"two", "notes.txt", purpose="file_version", purpose_id=file.id)
    assert teacher.post(f"{drive.base}/{file.id}/replace", data={"media_id": [media_id]}).status_code == 302
    html = _file_page(teacher, drive, file).get_data(as_text=True)
    assert re.findall(r"data-version-uploader>([^<]*)<", html) == ["Teacher In Class", "Student In Class"]


def test_rename_and_move_refuse_clashes_and_cycles(drive, put, client_as):
    """Can a folder go inside its own subfolder, or a file take a name its folder already has?"""
    inner = ops.create_folder(drive.handouts, drive.klass.teacher, "Inner")
    db.session.commit()
    teacher = client_as(drive.klass.teacher)
    assert teacher.post(f"{drive.base}/f/{drive.handouts.id}/move", data={"target_id": inner.id}).status_code == 302
    assert db.session.get(Folder, drive.handouts.id).parent_id == drive.root.id
    a = put(drive.klass.teacher, drive.handouts, "a.txt", b"a")
    put(drive.klass.teacher, drive.handouts, "b.txt", b"b")
    teacher.post(f"{drive.base}/{a.id}/rename", data={"name": "B.TXT"})
    assert db.session.get(CircleFile, a.id).name == "a.txt"
    teacher.post(f"{drive.base}/{a.id}/rename", data={"name": "c.txt"})
    assert db.session.get(CircleFile, a.id).name == "c.txt"
    teacher.post(f"{drive.base}/{a.id}/move", data={"target_id": inner.id})
    assert db.session.get(CircleFile, a.id).folder_id == inner.id
    teacher.post(f"{drive.base}/f/{inner.id}/move", data={"target_id": drive.root.id})
    assert db.session.get(Folder, inner.id).parent_id == drive.root.id


def test_trash_restore_and_purge_after_thirty_days(drive, put, client_as, app):
    """A deleted file is hidden from members and restorable; a deleted folder takes its files and
    comes back with them; after 30 days the purge deletes rows, uploads and stored objects, the
    objects only once the purge has committed."""
    file = put(drive.klass.teacher, drive.handouts, "old.txt", b"old")
    teacher, student = client_as(drive.klass.teacher), client_as(drive.klass.student)
    assert teacher.post(f"{drive.base}/{file.id}/delete").status_code == 302
    assert student.get(f"{drive.base}/{file.id}").status_code == 404
    assert "old.txt" in page_text(teacher.get(f"{drive.base}/trash"))
    assert teacher.post(f"{drive.base}/{file.id}/restore").status_code == 302
    assert student.get(f"{drive.base}/{file.id}").status_code == 200

    assert teacher.post(f"{drive.base}/f/{drive.handouts.id}/delete").status_code == 302
    assert db.session.get(CircleFile, file.id).in_trash
    assert student.get(f"{drive.base}/f/{drive.handouts.id}").status_code == 404
    assert teacher.post(f"{drive.base}/f/{drive.handouts.id}/restore").status_code == 302
    assert not db.session.get(CircleFile, file.id).in_trash

    teacher.post(f"{drive.base}/{file.id}/delete")
    key, media_id = file.current_version.storage_key, file.current_version.media_id
    storage = get_storage()
    assert storage.exists(key)
    assert ops.purge_trash(utcnow() + timedelta(days=29)) == 0
    assert ops.purge_trash(utcnow() + timedelta(days=31)) == 1
    assert storage.exists(key)  # nothing deleted before the commit
    db.session.rollback()
    assert storage.exists(key) and db.session.get(CircleFile, file.id) is not None  # a rolled-back purge loses nothing
    assert ops.purge_trash(utcnow() + timedelta(days=31)) == 1
    db.session.commit()
    assert not storage.exists(key)
    assert db.session.get(CircleFile, file.id) is None and db.session.get(Media, media_id) is None


def test_the_periodic_purge_is_scheduled(app):
    """Is the purge in the periodic schedule?"""
    from lms.jobs import SCHEDULE, Task

    assert SCHEDULE[Task.purge_file_trash] <= 24 * 3600


def test_members_upload_only_where_the_settings_allow(drive, put, client_as):
    """May a student upload before the owner allows it, and then only into the chosen folder?"""
    student = client_as(drive.klass.student)
    assert student.get(f"{drive.base}/f/{drive.handouts.id}/may-upload?size=10").status_code == 403
    refused = student.post("/uploads", json={"filename": "x.txt", "size": 3, "kind": "file", "purpose": "files",
                                             "purpose_id": drive.handouts.id},
                           headers={"X-CSRFToken": student.csrf_token()})
    assert refused.status_code == 404
    owner = client_as(drive.klass.owner)
    assert owner.post(f"{drive.base}/settings", data={"members_may_upload": "y",
                                                      "member_folder_id": drive.handouts.id}).status_code == 302
    assert db.session.get(FileSettings, drive.klass.circle.id).members_may_upload
    assert student.get(f"{drive.base}/f/{drive.root.id}/may-upload?size=10").status_code == 403
    file = put(drive.klass.student, drive.handouts, "essay.txt", b"mine")
    assert file.uploaded_by_id == drive.klass.student.id
    # a member may not move or replace even their own upload (renaming and the trash: see below)
    assert student.post(f"{drive.base}/{file.id}/move", data={"target_id": drive.root.id}).status_code == 403
    assert student.get(f"{drive.base}/{file.id}/may-replace?size=1").status_code == 403


def test_a_member_is_shown_where_they_may_upload(drive, client_as):
    """Members may upload into "Handouts" only: does the Files tab's top folder tell a student so, with a link to
    it (rather than no upload anywhere they look), while Handouts itself offers the upload, and the staff, who
    upload anywhere, get no such line?"""
    import re

    owner = client_as(drive.klass.owner)
    student = client_as(drive.klass.student)
    assert "data-upload-elsewhere" not in student.get(drive.base).get_data(as_text=True)  # members may not yet
    owner.post(f"{drive.base}/settings", data={"members_may_upload": "y", "member_folder_id": drive.handouts.id})
    top = student.get(drive.base).get_data(as_text=True)
    hint = re.search(r"data-upload-elsewhere>(.*?)</p>", top, re.S)
    assert hint and f'href="{drive.base}/f/{drive.handouts.id}"' in hint.group(1) and "Handouts" in hint.group(1)
    handouts = student.get(f"{drive.base}/f/{drive.handouts.id}").get_data(as_text=True)
    assert "data-files-add" in handouts and "data-upload-elsewhere" not in handouts
    assert "data-upload-elsewhere" not in client_as(drive.klass.teacher).get(drive.base).get_data(as_text=True)


def test_an_uploader_renames_and_deletes_their_own_file_only(drive, put, client_as):
    """A student uploaded to the members' folder: may they rename it and put it in the trash (as Moodle and
    Canvas let students manage their own files), while a classmate's file and the teacher's stay out of their
    reach (403), and their page offers rename and delete but not move or new versions?"""
    from lms.files.models import CircleFile

    settings = db.session.get(FileSettings, drive.klass.circle.id) or FileSettings(circle_id=drive.klass.circle.id)
    settings.members_may_upload, settings.member_folder_id = True, drive.handouts.id
    db.session.add(settings)
    db.session.commit()
    mine = put(drive.klass.student, drive.handouts, "essay.txt", b"mine")
    theirs = put(drive.klass.classmate, drive.handouts, "theirs.txt", b"theirs")
    teachers = put(drive.klass.teacher, drive.handouts, "handout.txt", b"handout")
    student = client_as(drive.klass.student)
    page = student.get(f"{drive.base}/{mine.id}").get_data(as_text=True)
    assert f"/{mine.id}/rename" in page and f"/{mine.id}/delete" in page and f"/{mine.id}/move" not in page
    assert f"/{theirs.id}/rename" not in student.get(f"{drive.base}/{theirs.id}").get_data(as_text=True)
    assert student.post(f"{drive.base}/{mine.id}/rename", data={"name": "my essay.txt"}).status_code == 302
    assert db.session.get(CircleFile, mine.id).name == "my essay.txt"
    for other in (theirs, teachers):
        assert student.post(f"{drive.base}/{other.id}/rename", data={"name": "x.txt"}).status_code == 403
        assert student.post(f"{drive.base}/{other.id}/delete").status_code == 403
    assert student.post(f"{drive.base}/{mine.id}/delete").status_code == 302
    assert db.session.get(CircleFile, mine.id).in_trash
    # and the staff keep their full rights on it
    assert client_as(drive.klass.teacher).post(f"{drive.base}/{mine.id}/restore").status_code == 302


def test_the_top_folder_is_called_all_files_where_folders_are_chosen(drive, put, client_as):
    """Are "Move to" and the members' upload folder setting naming the top folder "All files", not "/"?"""
    file = put(drive.klass.teacher, drive.handouts, "handout.txt", b"handout")
    teacher = client_as(drive.klass.teacher)
    for url in (f"{drive.base}/{file.id}", f"{drive.base}/settings"):
        page = teacher.get(url).get_data(as_text=True)
        assert ">All files</option>" in page and ">All files / Handouts</option>" in page and ">/</option>" not in page


def test_circle_quota_and_usage_shown_to_the_owner(drive, put, client_as, app, monkeypatch):
    """Is an upload past the circle's quota refused before and when adding, and the usage on the owner's page?"""
    put(drive.klass.teacher, drive.handouts, "a.txt", b"x" * 600)
    monkeypatch.setitem(app.config, "FILES_CIRCLE_QUOTA_BYTES", 1000)
    teacher = client_as(drive.klass.teacher)
    answer = teacher.get(f"{drive.base}/f/{drive.handouts.id}/may-upload?size=500")
    assert answer.status_code == 413 and "does not fit" in answer.get_json()["error"]["message"]
    media_id = upload_media(teacher, drive.klass.circle, b"y" * 500, "b.txt", purpose_id=drive.handouts.id)
    teacher.post(f"{drive.base}/f/{drive.handouts.id}/add", data={"media_id": [media_id]})
    assert db.session.scalar(db.select(db.func.count(CircleFile.id))) == 1
    owner_page = page_text(client_as(drive.klass.owner).get(f"{drive.base}/f/{drive.handouts.id}"))
    assert "600 bytes" in owner_page or "600 B" in owner_page
    assert "data-files-usage" not in client_as(drive.klass.student).get(
        f"{drive.base}/f/{drive.handouts.id}").get_data(as_text=True)


def test_the_user_quota_of_uploads_applies(drive, client_as, app, monkeypatch):
    """Does the per-person quota of the uploads refuse a file that would not fit?"""
    monkeypatch.setitem(app.config, "USER_QUOTA_BYTES", 100)
    teacher = client_as(drive.klass.teacher)
    assert teacher.get(f"{drive.base}/f/{drive.handouts.id}/may-upload?size=500").status_code == 413


def test_an_upload_of_another_person_or_circle_cannot_be_added(drive, put, client_as, make):
    """Can the teacher add a student's upload, or one made for another circle?"""
    other = make.circle(owner=drive.klass.teacher)
    teacher = client_as(drive.klass.teacher)
    from lms.files.operations import root_folder

    other_root = root_folder(other)
    db.session.commit()
    media_id = upload_media(teacher, other, b"elsewhere", "e.txt", purpose_id=other_root.id)
    teacher.post(f"{drive.base}/f/{drive.handouts.id}/add", data={"media_id": [media_id]})
    assert db.session.scalar(db.select(db.func.count(FileVersion.id))) == 0
