"""Every state change of grading: rubrics, categories, grades, release, regrade requests. Operations flush;
the caller commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.models import AuditAction
from lms.audit.operations import record_event
from lms.circles.models import Circle
from lms.core.inputs import line_problem, prepare_line
from lms.core.types import utcnow
from lms.extensions import db
from lms.grading import notifications
from lms.grading.models import (Criterion, Grade, GradeCategory, GradeChange, RegradeRequest, RegradeState,
                                Rubric)
from lms.homework.models import Assignment, Submission
from lms.homework.queries import latest_submission

MAX_CRITERIA = 30
MAX_LEVELS = 10


class GradingError(ValueError):
    """A refused grading change. `errors` maps a form field name ("" for the whole form) to a message
    written for the user."""

    def __init__(self, message, errors: dict[str, str] | None = None):
        super().__init__(str(message))
        self.errors = errors or {"": str(message)}


# -- rubrics ---------------------------------------------------------------------------------

def _clean_criteria(criteria: list[dict]) -> list[dict]:
    """Checked criteria: each has a title and levels, each level a title and points ≥ 0; a
    criterion is worth its best level. Raises GradingError naming what to fix."""
    cleaned, errors = [], {}
    for n, criterion in enumerate(criteria):
        title = prepare_line(criterion.get("title") or "")
        levels = []
        for level in criterion.get("levels") or []:
            level_title = prepare_line(level.get("title") or "")
            points = level.get("points")
            if not level_title and points is None:
                continue  # a blank row of the form
            problem = line_problem(level_title) or line_problem(prepare_line(level.get("description") or ""))
            if problem:
                errors[f"criteria-{n}"] = problem
                continue
            if not level_title:
                errors[f"criteria-{n}"] = str(_l("Give every level a title."))
                continue
            if points is None or not (0 <= float(points) <= 10000):
                errors[f"criteria-{n}"] = str(_l("Give every level between 0 and 10000 points."))
                continue
            levels.append({"title": level_title[:200], "points": float(points),
                           "description": (level.get("description") or "").strip()[:2000]})
        if not title and not levels:
            continue
        if f"criteria-{n}" in errors:
            pass  # one message per criterion: the first thing to fix
        elif line_problem(title):
            errors[f"criteria-{n}"] = line_problem(title)
        elif not title:
            errors[f"criteria-{n}"] = str(_l("Give this criterion a title."))
        elif not levels:
            errors[f"criteria-{n}"] = str(_l("Give the criterion “%(title)s” at least one level.", title=title))
        elif len(levels) > MAX_LEVELS:
            errors[f"criteria-{n}"] = str(_l("A criterion has at most %(num)d levels.", num=MAX_LEVELS))
        levels.sort(key=lambda lv: -lv["points"])  # best first, as the model documents
        cleaned.append({"id": criterion.get("id"), "title": title[:200],
                        "description": (criterion.get("description") or "").strip()[:2000], "levels": levels})
    if not errors and not cleaned:
        errors[""] = str(_l("A rubric needs at least one criterion with levels."))
    if len(cleaned) > MAX_CRITERIA:
        errors[""] = str(_l("A rubric has at most %(num)d criteria.", num=MAX_CRITERIA))
    if errors:
        raise GradingError(next(iter(errors.values())), errors)
    return cleaned


def create_rubric(circle: Circle, user: User, title: str, criteria: list[dict]) -> Rubric:
    """Create a rubric in `circle`. `criteria`: [{"title", "description", "levels": [{"title", "points",
    "description"}]}]; blank rows are skipped. Raises GradingError when something is missing or out of range,
    or a title is not single-line text (lms.core.inputs)."""
    title = _rubric_title(title)
    rubric = Rubric(circle=circle, title=title[:200], created_by_id=user.id)
    rubric.criteria = [_new_criterion(n, c) for n, c in enumerate(_clean_criteria(criteria))]
    db.session.add(rubric)
    db.session.flush()
    return rubric


def _rubric_title(title: str | None) -> str:
    title = prepare_line(title or "")
    if not title:
        raise GradingError(_l("Give the rubric a title."), {"title": str(_l("Give the rubric a title."))})
    problem = line_problem(title)
    if problem:
        raise GradingError(problem, {"title": problem})
    return title


def _new_criterion(position: int, data: dict) -> Criterion:
    return Criterion(position=position, title=data["title"], description=data["description"],
                     levels=data["levels"], points=max(lv["points"] for lv in data["levels"]))


def update_rubric(rubric: Rubric, user: User, title: str, criteria: list[dict]) -> None:
    """Change a rubric's title and criteria. A criterion given with its `id` keeps it, so grades that
    scored it still find it; criteria left out are removed. Raises GradingError."""
    title = _rubric_title(title)
    cleaned = _clean_criteria(criteria)
    existing = {c.id: c for c in rubric.criteria}
    kept = []
    for position, data in enumerate(cleaned):
        criterion = existing.pop(_int(data["id"]), None)
        if criterion is None:
            kept.append(_new_criterion(position, data))
            continue
        criterion.position = position
        criterion.title, criterion.description, criterion.levels = data["title"], data["description"], data["levels"]
        criterion.points = max(lv["points"] for lv in data["levels"])
        kept.append(criterion)
    rubric.title = title[:200]
    rubric.criteria = kept
    db.session.flush()


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def delete_rubric(rubric: Rubric, user: User) -> None:
    """Delete a rubric no assignment uses. Raises GradingError when one does."""
    used = db.session.scalar(db.select(db.func.count()).select_from(Assignment)
                             .where(Assignment.rubric_id == rubric.id))
    if used:
        raise GradingError(_l("This rubric is used by %(num)d assignments. Choose another rubric for them first.",
                              num=used))
    db.session.delete(rubric)
    db.session.flush()


# -- categories ------------------------------------------------------------------------------

def save_category(circle: Circle, user: User, name: str, weight: float,
                  category: GradeCategory | None = None) -> GradeCategory:
    """Create (or with `category`, change) a weighted grade category. Raises GradingError."""
    name = prepare_line(name or "")
    if not name:
        raise GradingError(_l("Give the category a name."), {"name": str(_l("Give the category a name."))})
    problem = line_problem(name)
    if problem:
        raise GradingError(problem, {"name": problem})
    if weight is None or not (0 <= weight <= 100):
        message = str(_l("The weight is a percentage between 0 and 100."))
        raise GradingError(message, {"weight": message})
    if category is None:
        position = db.session.scalar(db.select(db.func.count()).select_from(GradeCategory)
                                     .where(GradeCategory.circle_id == circle.id)) or 0
        category = GradeCategory(circle_id=circle.id, position=position)
        db.session.add(category)
    category.name, category.weight = name[:100], float(weight)
    db.session.flush()
    return category


def delete_category(category: GradeCategory, user: User) -> None:
    """Delete a category; its assignments become uncategorised."""
    db.session.delete(category)
    db.session.flush()


# -- grades ----------------------------------------------------------------------------------

def _get_grade(assignment: Assignment, student: User) -> Grade | None:
    return db.session.scalar(db.select(Grade).where(Grade.assignment_id == assignment.id,
                                                    Grade.student_id == student.id))


def _change_of(grade: Grade, user: User | None, action: str) -> dict:
    return dict(grade_id=grade.id, changed_by_id=user.id if user else None, action=action, score=grade.score,
                criterion_scores=dict(grade.criterion_scores or {}), penalty_percent=grade.penalty_percent,
                feedback_md=grade.feedback_md, changed_at=utcnow())


def _record(grade: Grade, user: User | None, action: str) -> GradeChange:
    change = GradeChange(**_change_of(grade, user, action))
    db.session.add(change)
    return change


def _record_many(grades: list[Grade], user: User | None, action: str) -> None:
    """One history row per grade, written in one statement (a class-wide release or hide)."""
    if grades:
        db.session.execute(db.insert(GradeChange), [_change_of(grade, user, action) for grade in grades])


def _score_from_rubric(assignment: Assignment, criterion_scores: dict) -> tuple[float, dict]:
    rubric = assignment.rubric
    known = {c.key: c for c in rubric.criteria}
    given = {str(k): v for k, v in (criterion_scores or {}).items()}
    errors = {}
    if set(given) - set(known):
        errors[""] = str(_l("This criterion is not part of the rubric."))
    cleaned = {}
    for key, criterion in known.items():
        value = given.get(key)
        if value is None or value == "":
            errors[f"c{key}"] = str(_l("Score the criterion “%(title)s”.", title=criterion.title))
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = -1.0
        if not (0 <= value <= criterion.points):
            errors[f"c{key}"] = str(_l("“%(title)s” takes between 0 and %(points)s points.",
                                       title=criterion.title, points=_num(criterion.points)))
            continue
        cleaned[key] = value
    if errors:
        raise GradingError(next(iter(errors.values())), errors)
    total = sum(cleaned.values())
    # A rubric may be worth more or less than the assignment: its total is scaled to the assignment's points.
    if rubric.points and rubric.points != assignment.points:
        total = total * assignment.points / rubric.points
    return round(total, 2), cleaned


def _num(value: float) -> str:
    return f"{value:g}"


def grade_submission(assignment: Assignment, student: User, grader: User, score: float | None = None,
                     criterion_scores: dict | None = None, feedback: str = "", waive_penalty: bool | None = None,
                     submission: Submission | None = None, action: str = "graded", tell_student: bool = False) -> Grade:
    """Give `student` a grade for `assignment` (creating or changing their Grade) and record the change.

    With a rubric, `criterion_scores` ({criterion id: points}) must score every criterion within its
    points, and the score is their sum (scaled to the assignment's points when they differ); without one,
    `score` must lie in 0..points. The late penalty is not stored: it is derived from the graded version
    (by default the latest) against the current deadline; `waive_penalty` True waives it, False applies
    it, None keeps the grade's earlier choice. A released grade stays released with the new values; with
    `tell_student` (a grader's own change, not a column kept up to date by attendance or check-ins) its student
    is told it changed. Raises GradingError with a message per field.
    """
    if not assignment.is_learner(student):
        raise GradingError(_l("Only students of the circle can be graded."))
    if assignment.rubric is not None:
        score, criterion_scores = _score_from_rubric(assignment, criterion_scores or {})
    else:
        criterion_scores = {}
        if score is None:
            raise GradingError(_l("Enter a score."), {"score": str(_l("Enter a score."))})
        if not (0 <= score <= assignment.points):
            message = str(_l("The score must be between 0 and %(points)s.", points=_num(assignment.points)))
            raise GradingError(message, {"score": message})
    submission = submission or latest_submission(assignment, student)
    if len(feedback or "") > 20000:
        message = str(_l("The comment is too long (at most 20,000 characters)."))
        raise GradingError(message, {"feedback": message})

    grade = _get_grade(assignment, student)
    if grade is None:
        grade = Grade(assignment=assignment, student_id=student.id)
        db.session.add(grade)
    before, feedback_before = _audited_values(grade), grade.feedback_md or ""
    grade.submission_id = submission.id if submission else None
    grade.submission = submission
    if waive_penalty is not None:
        grade.is_penalty_waived = bool(waive_penalty)
    elif grade.is_penalty_waived is None:
        grade.is_penalty_waived = False
    grade.score = float(score)
    grade.criterion_scores = criterion_scores
    grade.feedback_md = feedback or ""
    grade.is_excused = False
    grade.graded_by_id = grader.id
    grade.graded_at = utcnow()
    db.session.flush()
    _record(grade, grader, action)
    changed = _audited_values(grade) != before
    if changed:  # a comment-only edit is not audited
        _audit_grade(AuditAction.grade_changed, grade, assignment, student, grader,
                     {"from": before, "to": _audited_values(grade), "via": action,
                      "feedback_changed": grade.feedback_md != feedback_before})
    # a released grade is seen already: its student is told a grader changed it
    if tell_student and grade.released_at is not None and (changed or grade.feedback_md != feedback_before):
        notifications.grade_changed(grade, grader.id)
    db.session.flush()
    return grade


def _audited_values(grade: Grade) -> dict:
    """What the audit log compares and records of a grade (the feedback text stays out of it)."""
    return {"score": grade.score, "penalty_percent": grade.penalty_percent,
            "criterion_scores": dict(grade.criterion_scores or {}), "excused": bool(grade.is_excused)}


def _audit_grade(action: AuditAction, grade: Grade, assignment: Assignment, student: User, grader: User,
                 details: dict) -> None:
    record_event(action, grader, target=grade, circle_id=assignment.circle_id,
                 target_label=f"{assignment.title} · {student.name} <{student.email}>",
                 details={"assignment_id": assignment.id, "assignment": assignment.title, "student_id": student.id,
                          "student": student.name, "released": grade.is_released, **details})


def set_excused(assignment: Assignment, student: User, grader: User, excused: bool = True) -> Grade:
    """Excuse `student` from `assignment` (it counts neither as missing nor in totals), or undo it."""
    if not assignment.is_learner(student):
        raise GradingError(_l("Only students of the circle can be graded."))
    grade = _get_grade(assignment, student)
    if grade is None:
        grade = Grade(assignment=assignment, student_id=student.id)
        db.session.add(grade)
    was_excused = bool(grade.is_excused)
    grade.is_excused = excused
    grade.graded_by_id = grader.id
    grade.graded_at = utcnow()
    db.session.flush()
    _record(grade, grader, "excused" if excused else "unexcused")
    if was_excused != excused:
        _audit_grade(AuditAction.grade_excused if excused else AuditAction.grade_unexcused, grade, assignment,
                     student, grader, {"from": was_excused, "to": excused, "score": grade.score})
        if grade.released_at is not None:  # they see it: tell them it changed, as a changed score does
            notifications.grade_changed(grade, grader.id)
    db.session.flush()
    return grade


def _grades_for(assignment: Assignment, students: list[User] | None) -> list[Grade]:
    query = db.select(Grade).where(Grade.assignment_id == assignment.id)
    if students is not None:
        query = query.where(Grade.student_id.in_([s.id for s in students]))
    return list(db.session.scalars(query.order_by(Grade.id)))


def release_grades(assignment: Assignment, grader: User, students: list[User] | None = None) -> list[Grade]:
    """Let students see their grades: those of `students`, or every graded student. Grades not given yet
    are skipped. Each newly released student is told (mail and a live notification, after commit).
    Returns the grades released now."""
    released = []
    now = utcnow()
    for grade in _grades_for(assignment, students):
        if grade.is_released or not (grade.is_graded or grade.is_excused):
            continue
        grade.released_at = now
        released.append(grade)
    db.session.flush()
    _record_many(released, grader, "released")
    if released:
        _audit_release(AuditAction.grade_released, assignment, grader, released)
    notifications.grades_released(assignment, [grade.student_id for grade in released])
    return released


def unrelease_grades(assignment: Assignment, grader: User, students: list[User] | None = None) -> list[Grade]:
    """Hide released grades again (of `students`, or all). Returns the grades hidden now."""
    hidden = []
    for grade in _grades_for(assignment, students):
        if not grade.is_released:
            continue
        grade.released_at = None
        hidden.append(grade)
    db.session.flush()
    _record_many(hidden, grader, "unreleased")
    if hidden:
        _audit_release(AuditAction.grade_unreleased, assignment, grader, hidden)
    return hidden


def _audit_release(action: AuditAction, assignment: Assignment, grader: User, grades: list[Grade]) -> None:
    """One record per release (or hiding) however many students it covers, listing them (with their names
    at the time) and their scores."""
    names = dict(db.session.execute(db.select(User.id, User.name).where(
        User.id.in_({g.student_id for g in grades}))).all())
    record_event(action, grader, target=assignment, circle_id=assignment.circle_id,
                 details={"count": len(grades),
                          "grades": [{"student_id": g.student_id, "name": names.get(g.student_id), "score": g.score,
                                      "penalty_percent": g.penalty_percent, "excused": bool(g.is_excused)}
                                     for g in grades]})


# -- regrade requests ------------------------------------------------------------------------

def open_regrade_request(grade: Grade) -> RegradeRequest | None:
    return db.session.scalar(db.select(RegradeRequest).where(RegradeRequest.grade_id == grade.id,
                                                             RegradeRequest.state == RegradeState.open))


def request_regrade(grade: Grade, student: User, reason: str) -> RegradeRequest:
    """A student asks staff to look at their released grade again. One open request at a time.
    Raises GradingError."""
    reason = (reason or "").strip()
    if grade.student_id != student.id or not grade.is_released:
        raise GradingError(_l("You can ask for a regrade only of your own released grade."))
    if not reason:
        message = str(_l("Say why the grade should be looked at again."))
        raise GradingError(message, {"reason": message})
    if len(reason) > 5000:
        message = str(_l("The reason is too long (at most 5,000 characters)."))
        raise GradingError(message, {"reason": message})
    if open_regrade_request(grade) is not None:
        raise GradingError(_l("You already asked for a regrade of this grade. Wait for the answer."))
    request = RegradeRequest(grade_id=grade.id, student_id=student.id, reason=reason)
    db.session.add(request)
    db.session.flush()
    return request


def resolve_regrade(request: RegradeRequest, grader: User, *, accept: bool, response: str = "",
                    score: float | None = None, criterion_scores: dict | None = None,
                    feedback: str | None = None, waive_penalty: bool | None = None) -> RegradeRequest:
    """Answer an open regrade request: accept it with a new grade (validated as grade_submission does),
    or decline it with a response. The student is told live. Raises GradingError."""
    if not request.is_open:
        raise GradingError(_l("This regrade request was already answered."))
    response = (response or "").strip()
    grade = request.grade
    if accept:
        grade_submission(grade.assignment, grade.student, grader, score=score, criterion_scores=criterion_scores,
                         feedback=grade.feedback_md if feedback is None else feedback,
                         waive_penalty=waive_penalty,
                         action="regrade_resolved")
        request.state = RegradeState.accepted
    else:
        if not response:
            message = str(_l("Tell the student why the grade stays as it is."))
            raise GradingError(message, {"response": message})
        request.state = RegradeState.declined
    request.response = response[:5000]
    request.resolved_by_id = grader.id
    request.resolved_at = utcnow()
    db.session.flush()
    notifications.regrade_resolved(request)
    return request
