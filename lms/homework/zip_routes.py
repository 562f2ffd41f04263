"""Staff download of an assignment's work as one ZIP: a folder per student (named by their circle
identity), holding the latest submission's written answer, video and attachments, streamed from storage."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.circles.queries import get_circle_or_404
from lms.core.permissions import require
from lms.files.archive import Entry, text_entry, unique_name, zip_stream
from lms.files.download import zip_response
from lms.homework import bp
from lms.homework import queries as q
from lms.storage import get_storage
from lms.storage.names import safe_name
from lms.uploads.models import MediaState

PREFIX = "/circles/<int:circle_id>/assignments"


def student_folder(membership, fallback: str) -> str:
    """A student's folder name: their display name, with their real name and student number when the
    circle has them ("Mia (Lin Mei · 2024017)")."""
    if membership is None:
        return fallback
    extra = " · ".join(x for x in (membership.real_name, membership.student_no) if x)
    return f"{membership.display_name} ({extra})" if extra else membership.display_name


#: the written answer's name in a student's folder (Markdown, as the student wrote it, UTF-8)
ANSWER_NAME = "answer.md"


def assignment_entries(assignment) -> list[Entry]:
    """The ZIP entries of the latest submission of every student: the written answer (ANSWER_NAME), the
    video (the playable MP4 the pipeline made; the file as received while it is still being processed or
    when the pipeline failed on it) and the attachments (as stored: metadata of images already stripped).
    A few queries; one size look-up in storage per video (the MP4's size is not recorded)."""
    storage = get_storage()
    latest = q.latest_submissions(assignment)
    people = q.memberships_by_user(assignment.circle, latest)
    top = safe_name(assignment.title, "assignment")
    entries: list[Entry] = []
    taken: set[str] = set()
    for student_id, submission in sorted(latest.items(),
                                         key=lambda kv: student_folder(people.get(kv[0]), "").casefold()):
        folder = top + "/" + unique_name(safe_name(student_folder(people.get(student_id), f"student {student_id}"),
                                                   f"student {student_id}"), taken)
        names: set[str] = set()
        if (submission.text or "").strip():
            entries.append(text_entry(f"{folder}/{unique_name(ANSWER_NAME, names)}", submission.text))
        media = submission.media
        if media is not None and media.state == MediaState.ready and media.mp4_key:
            try:
                size = storage.size(media.mp4_key)
            except FileNotFoundError:
                size = None
            if size is not None:
                entries.append(Entry(f"{folder}/{unique_name('video.mp4', names)}", media.mp4_key, size))
        elif media is not None and media.state != MediaState.ready and media.original_key and media.bytes:
            # not playable (yet): the student's file as received, which the staff may download
            entries.append(Entry(f"{folder}/{unique_name(safe_name(media.filename, 'video'), names)}",
                                 media.original_key, int(media.bytes)))
        for attached in submission.files:
            file = attached.media
            if file is None or file.state != MediaState.ready or not file.original_key:
                continue
            entries.append(Entry(f"{folder}/{unique_name(safe_name(file.filename), names)}", file.original_key,
                                 int(file.bytes)))
    return entries


@bp.get(PREFIX + "/<int:assignment_id>/work.zip")
@login_required
def work_zip(circle_id: int, assignment_id: int):
    """Every student's latest work for the assignment as one ZIP (staff), streamed from storage."""
    circle = get_circle_or_404(circle_id, current_user)
    assignment = q.get_assignment_or_404(circle, assignment_id, current_user)
    require(assignment.can_grade(current_user))
    if not assignment.is_published:
        abort(404)
    entries = assignment_entries(assignment)
    if not entries:  # an empty archive would look like a broken download
        flash(_("No student has handed in anything to download yet."), "info")
        return redirect(url_for("homework.show", circle_id=circle.id, assignment_id=assignment.id))
    stream, size = zip_stream(get_storage(), entries)
    return zip_response(stream, size, safe_name(assignment.title, "assignment") + ".zip")
