"""The "Next due" card on a circle's home page (lms/homework/home_section.py)."""
from __future__ import annotations

from lms.extensions import db
from lms.homework import operations as hw_ops
from tests.fixtures.homework import later


def card(response) -> str:
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="card home-due"' in text
    return text.split('class="card home-due"')[1].split("</section>")[0]


def test_a_student_sees_what_is_still_to_hand_in_soonest_first(klass, hw, client_as):
    """Handed-in work, drafts and past due times are left out; the rest is listed soonest first, with
    "due in" and the time in the student's zone."""
    klass.student.timezone = "Asia/Shanghai"
    db.session.commit()
    hw.assignment(klass.circle, title="Later one", due_at=later(days=5))
    hw.assignment(klass.circle, title="Sooner one", due_at=later(days=2))
    done = hw.assignment(klass.circle, title="Handed in", due_at=later(days=1))
    hw.submission(done, klass.student)
    hw.assignment(klass.circle, title="Secret", due_at=later(days=1), publish=False)
    hw.assignment(klass.circle, title="Past", due_at=later(days=-1))
    text = card(client_as(klass.student).get(f"/c/{klass.circle.id}"))
    assert "Sooner one" in text and "Later one" in text and text.index("Sooner one") < text.index("Later one")
    for absent in ("Handed in", "Secret", "Past"):
        assert absent not in text
    assert "Due in 2 days" in text or "Due in 1 day" in text


def test_an_extension_keeps_a_past_due_time_on_the_student_card(klass, hw, client_as):
    """Past the assignment's due time but not the student's extended one: still listed for them, marked."""
    essay = hw.assignment(klass.circle, title="Essay", due_at=later(hours=-2))
    hw_ops.grant_extension(essay, [klass.student], klass.owner, due_at=later(days=1))
    db.session.commit()
    assert "extended for you" in card(client_as(klass.student).get(f"/c/{klass.circle.id}"))
    assert "Essay" not in card(client_as(klass.classmate).get(f"/c/{klass.circle.id}"))


def test_staff_see_the_next_due_with_hand_in_counts(klass, hw, client_as):
    """Staff see the next due assignments, drafts too, with how many students have handed in."""
    essay = hw.assignment(klass.circle, title="Essay", due_at=later(days=2))
    hw.assignment(klass.circle, title="Plan", due_at=later(days=3), publish=False)
    hw.submission(essay, klass.student)
    text = card(client_as(klass.teacher).get(f"/c/{klass.circle.id}"))
    assert "Essay" in text and "Plan" in text and "1 of 2 handed in" in text


def test_the_card_costs_the_same_queries_for_a_small_and_a_large_class(make, hw, client_as, count_queries):
    """Does the home page cost as many queries with 2 students and 2 assignments as with 20 of each?"""
    counts = []
    for n in (2, 20):
        circle = make.circle()
        students = [make.member(circle).user for _ in range(n)]
        for i in range(n):
            essay = hw.assignment(circle, title=f"Work {i}", due_at=later(days=1 + i))
            if i % 3 == 0:
                hw.submission(essay, students[0])
        client = client_as(students[0])
        client.get(f"/c/{circle.id}")
        with count_queries:
            text = card(client.get(f"/c/{circle.id}"))
        assert "Work 1" in text
        counts.append(count_queries.count)
    assert counts[0] == counts[1]


def test_a_circle_without_coursework_shows_no_card(make, client_as):
    """A community circle with nothing due shows no empty "Next due" card."""
    from lms.circles.models import CircleKind

    circle = make.circle(kind=CircleKind.community)
    member = make.member(circle).user
    assert 'class="card home-due"' not in client_as(member).get(f"/c/{circle.id}").get_data(as_text=True)
