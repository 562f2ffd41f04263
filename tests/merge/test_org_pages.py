"""An organization's merge pages (/orgs/<id>/merge/...): its admins find and merge duplicates among its own
people only; the "not a duplicate" dismissal hides a pair for good."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.accounts.models import User
from lms.extensions import db
from lms.merge.models import MergeDismissal
from lms.orgs.models import Organization, OrgMembership, OrgRole


@pytest.fixture
def school(make):
    org = Organization(name="North School")
    other = Organization(name="South School")
    db.session.add_all([org, other])
    admin, other_admin = make.user("Org Admin"), make.user("South Admin")
    db.session.flush()
    db.session.add_all([OrgMembership(org_id=org.id, user_id=admin.id, role=OrgRole.admin),
                        OrgMembership(org_id=other.id, user_id=other_admin.id, role=OrgRole.admin)])
    owner = make.user("Teacher")
    first, second, south = make.circle(owner), make.circle(owner), make.circle(owner)
    first.org_id = second.org_id = org.id
    south.org_id = other.id
    db.session.commit()
    one, two = make.user("Lin One"), make.user("Lin Two")
    make.member(first, one, real_name="Lin Hua", student_no="2026-007")
    make.member(second, two, real_name="lin hua", student_no="2026 007")
    # a pair in both schools' circles: the site's list only
    three, four = make.user("Kim One"), make.user("Kim Two")
    make.member(first, three, real_name="Kim", student_no="K-1")
    make.member(second, four, real_name="Kim", student_no="K 1")
    make.member(south, four)
    return {"org": org, "other": other, "admin": admin, "other_admin": other_admin, "one": one, "two": two,
            "three": three, "four": four, "owner": owner}


def test_the_orgs_admin_lists_previews_merges_and_undoes_within_the_org(school, login):
    org, client = school["org"], login(school["admin"])
    base = f"/orgs/{org.id}/merge"
    bare = client.get(base)  # the org page links here without the slash
    assert bare.status_code in (301, 308) and bare.headers["Location"].endswith(f"{base}/")
    page = client.get(f"{base}/").get_data(as_text=True)
    assert school["two"].email in page and "North School" in page
    assert school["four"].email not in page  # also in another school's circle
    assert f'{base}/{school["one"].id}/{school["two"].id}' in page
    assert client.get(f'{base}/{school["three"].id}/{school["four"].id}').status_code == 404
    done = client.post(f'{base}/{school["one"].id}/{school["two"].id}', data={})
    assert done.status_code == 302 and done.headers["Location"].startswith(f"{base}/done/")
    assert db.session.get(User, school["two"].id).merged_into_id == school["one"].id
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"{done.headers['Location']}/undo" in result
    assert client.get(f"{done.headers['Location']}/undo").status_code == 200
    assert client.post(f"{done.headers['Location']}/undo", data={}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, school["two"].id).is_disabled


@pytest.mark.parametrize("who", ["other_admin", "owner", "one"])
def test_others_get_404_on_the_orgs_pages(school, login, who):
    client = login(school[who])
    base = f"/orgs/{school['org'].id}/merge"
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f'{base}/{school["one"].id}/{school["two"].id}', data={}).status_code == 404
    assert client.post(f'{base}/dismiss/{school["one"].id}/{school["two"].id}', data={}).status_code == 404
    assert not db.session.get(User, school["two"].id).is_disabled
    assert login(school["admin"]).get(f"/orgs/{school['org'].id + 999}/merge/").status_code == 404


def test_a_site_admin_account_is_out_of_the_orgs_reach(school, make, login):
    boss = make.user("Site Admin", is_admin=True)
    client = login(school["admin"])
    assert client.get(f"/orgs/{school['org'].id}/merge/{school['one'].id}/{boss.id}").status_code == 404


def test_not_a_duplicate_hides_the_pair_for_good(school, login, make):
    client = login(school["admin"])
    base = f"/orgs/{school['org'].id}/merge"
    one, two = school["one"], school["two"]
    assert client.post(f"{base}/dismiss/{two.id}/{one.id}", csrf=False).status_code == 400
    gone = client.post(f"{base}/dismiss/{two.id}/{one.id}", data={}, follow_redirects=True)
    assert gone.status_code == 200 and "no longer listed" in gone.get_data(as_text=True)
    assert two.email not in client.get(f"{base}/").get_data(as_text=True)
    rows = db.session.execute(sa.select(MergeDismissal.user_a_id, MergeDismissal.user_b_id,
                                        MergeDismissal.dismissed_by_id)).all()
    assert [tuple(r) for r in rows] == [(min(one.id, two.id), max(one.id, two.id), school["admin"].id)]
    from lms.audit.models import AuditEvent
    assert db.session.scalar(sa.select(AuditEvent.org_id).where(AuditEvent.action == "merge_dismissed")) == \
        school["org"].id
    # a second dismissal stores nothing more; the site's list hides it too
    client.post(f"{base}/dismiss/{one.id}/{two.id}", data={}, follow_redirects=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MergeDismissal)) == 1
    site = login(make.user(is_admin=True))
    assert two.email not in site.get("/merge/").get_data(as_text=True)
