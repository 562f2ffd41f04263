"""Group fixtures: the klass (tests/fixtures/homework.py) with four more students and two groups; and
peer review's fixtures (tests/reviews/conftest.py) for the allocation test."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.circles.models import Membership
from lms.extensions import db
from lms.groups import operations as ops
from lms.groups.models import CircleGroup
from tests.reviews.conftest import review  # noqa: F401  (a fixture, used by test_reviews.py)


@dataclass
class Grouped:
    klass: object
    red: CircleGroup
    blue: CircleGroup
    extra: list  #: four more students: extra[0] and extra[1] in no group

    @property
    def base(self) -> str:
        return f"/c/{self.klass.circle.id}/groups"

    def membership(self, user) -> Membership:
        return db.session.scalar(db.select(Membership).where(Membership.circle_id == self.klass.circle.id,
                                                             Membership.user_id == user.id))


@pytest.fixture
def grouped(klass, make) -> Grouped:
    """The klass (owner, teacher, assistant, student, classmate) and four more students, "Dancer 0" to 3.
    Group "Red": student and Dancer 2; group "Blue": classmate and Dancer 3. Dancer 0 and 1 are in no group."""
    extra = [make.member(klass.circle, make.user(f"Dancer {i}"), display_name=f"Dancer {i}").user for i in range(4)]
    red = ops.create_group(klass.circle, klass.teacher, "Red")
    blue = ops.create_group(klass.circle, klass.teacher, "Blue")
    ops.add_members(red, klass.teacher, [klass.student.id, extra[2].id])
    ops.add_members(blue, klass.teacher, [klass.classmate.id, extra[3].id])
    db.session.commit()
    return Grouped(klass, red, blue, extra)
