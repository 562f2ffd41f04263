"""A small school for organization and admin tests: one org, its people, one class."""
from __future__ import annotations

from dataclasses import dataclass

from lms.accounts.models import User
from lms.circles.models import Circle, CircleKind, JoinPolicy
from lms.extensions import db
from lms.orgs import operations as org_ops
from lms.orgs.models import Organization, OrgRole


@dataclass
class School:
    org: Organization
    site_admin: User
    admin: User  #: an admin of the organization (not of the site)
    teacher: User
    teacher2: User
    student: User  #: an organization student
    outsider: User
    klass: Circle  #: a class of the org, owned by `teacher`

    def by_role(self, who: str) -> User | None:
        return None if who == "anonymous" else getattr(self, who)


def build_school(make, name: str = "Hill School") -> School:
    """Create the school through the real operations and commit it."""
    site_admin = make.user("Sita Siteadmin", is_admin=True)
    admin = make.user("Olga Orgadmin")
    teacher = make.user("Tom Teacher")
    teacher2 = make.user("Tina Teacher")
    student = make.user("Sam Student")
    outsider = make.user("Otto Outsider")
    org = org_ops.create_org(name, "A *friendly* school")
    org_ops.add_org_member(org, admin, OrgRole.admin)
    org_ops.add_org_member(org, teacher, OrgRole.teacher)
    org_ops.add_org_member(org, teacher2, OrgRole.teacher)
    org_ops.add_org_member(org, student, OrgRole.student)
    [klass] = org_ops.create_classes(org, ["Existing class"], teacher, CircleKind.teaching, JoinPolicy.code,
                                     actor=site_admin)
    db.session.commit()
    return School(org, site_admin, admin, teacher, teacher2, student, outsider, klass)
