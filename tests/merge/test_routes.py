"""The merge pages: who may see them, the preview, the POST, the result."""
from __future__ import annotations

import pytest

from lms.accounts.models import User
from lms.extensions import db
from lms.orgs.models import Organization, OrgMembership, OrgRole


@pytest.fixture
def school(make):
    """An organization with an admin and a class, in which one student has two accounts with the same
    real name and student number (one via the class, one via a second class of the same school)."""
    org = Organization(name="North School")
    db.session.add(org)
    admin = make.user("Org Admin")
    db.session.flush()
    db.session.add(OrgMembership(org_id=org.id, user_id=admin.id, role=OrgRole.admin))
    owner = make.user("Teacher")
    first, second = make.circle(owner), make.circle(owner)
    first.org_id = second.org_id = org.id
    db.session.commit()
    one, two = make.user("Lin One"), make.user("Lin Two")
    make.member(first, one, real_name="Lin Hua", student_no="2026-007")
    make.member(second, two, real_name="lin hua", student_no="2026 007")
    return {"org": org, "admin": admin, "one": one, "two": two, "owner": owner}


def test_org_admin_sees_and_merges_the_pair(school, login):
    """Does the org admin see the pair, preview it, and merge it with a POST?"""
    client = login(school["admin"])
    page = client.get("/merge/")
    assert page.status_code == 200
    assert school["two"].email in page.get_data(as_text=True)
    url = f"/merge/{school['one'].id}/{school['two'].id}"
    preview = client.get(url)
    assert preview.status_code == 200 and "memberships.user_id" in preview.get_data(as_text=True)
    done = client.post(url, follow_redirects=True)
    assert done.status_code == 200
    assert db.session.get(User, school["two"].id).merged_into_id == school["one"].id


def test_org_admin_of_another_org_gets_404(school, make, login):
    """Does an admin of another school get 404 for these accounts?"""
    other = Organization(name="South School")
    db.session.add(other)
    admin = make.user("South Admin")
    db.session.flush()
    db.session.add(OrgMembership(org_id=other.id, user_id=admin.id, role=OrgRole.admin))
    db.session.commit()
    client = login(admin)
    assert client.get(f"/merge/{school['one'].id}/{school['two'].id}").status_code == 404
    assert school["two"].email not in client.get("/merge/").get_data(as_text=True)


def test_account_in_another_org_is_out_of_reach(school, make, login):
    """Is an account that is also in another school's class out of the org admin's reach (404)?"""
    other = Organization(name="South School")
    db.session.add(other)
    db.session.flush()
    circle = make.circle(school["owner"])
    circle.org_id = other.id
    db.session.commit()
    make.member(circle, school["two"])
    client = login(school["admin"])
    assert client.get(f"/merge/{school['one'].id}/{school['two'].id}").status_code == 404


@pytest.mark.parametrize("who", ["one", "owner"])
def test_others_get_404(school, login, who):
    """Do a student and a teacher get 404 for the list and the merge page?"""
    client = login(school[who])
    assert client.get("/merge/").status_code == 404
    assert client.post(f"/merge/{school['one'].id}/{school['two'].id}").status_code == 404
    assert not db.session.get(User, school["two"].id).is_disabled


def test_site_admin_sees_the_email_pair(make, login):
    """Does a site admin see two accounts where one's school sign-in carries the other's email?"""
    from lms.identity.models import ExternalIdentity

    admin = make.user(is_admin=True)
    a = make.user(email="same@school.example")
    b = make.user()
    db.session.add(ExternalIdentity(user_id=b.id, issuer="https://idp.example", subject="s", email="SAME@school.example"))
    db.session.commit()
    page = login(admin).get("/merge/").get_data(as_text=True)
    assert a.email in page and b.email in page


def test_post_without_csrf_changes_nothing(school, login):
    """Is a merge POST without the CSRF token refused and nothing merged?"""
    client = login(school["admin"])
    assert client.post(f"/merge/{school['one'].id}/{school['two'].id}", csrf=False).status_code == 400
    assert not db.session.get(User, school["two"].id).is_disabled


def test_the_list_costs_the_same_for_more_pairs(school, make, count_queries):
    """Does the org admin's list of likely duplicates take a fixed number of queries, one pair or four?"""
    from lms.merge.queries import likely_duplicates

    def listed():
        db.session.expire_all()
        with count_queries as counter:
            pairs = likely_duplicates(db.session.get(User, school["admin"].id))
        return len(pairs), counter.count

    one_pair, queries = listed()
    circle = db.session.get(type(school["org"]), school["org"].id)
    first, second = make.circle(school["owner"]), make.circle(school["owner"])
    first.org_id = second.org_id = circle.id
    db.session.commit()
    for n in range(3):
        make.member(first, make.user(), real_name=f"Twin {n}", student_no=f"T-{n}")
        make.member(second, make.user(), real_name=f"Twin {n}", student_no=f"T {n}")
    more_pairs, more_queries = listed()
    assert (one_pair, more_pairs) == (1, 4)
    assert more_queries == queries
