"""Jobs of the homework domain: reminding students of work due soon."""
from __future__ import annotations


def remind_due_assignments() -> None:
    """Task (periodic): tell each student who has not handed in a published assignment due within the next
    24 hours (their own deadline, extensions included) about it, once per student and assignment."""
    from lms.homework.notifications import remind_due_soon

    remind_due_soon()
