"""Creating a circle, its home page, its settings, and how user text is rendered there."""
from __future__ import annotations

import io
import re

import pytest

from lms.circles.codes import ALPHABET, JOIN_CODE_LENGTH
from lms.circles.models import Circle, CircleKind, JoinPolicy, Membership, Role
from lms.extensions import db
from tests.accounts.helpers import png_bytes
from tests.circles.helpers import elements, membership, reload
from tests.fixtures.app import page_text
from tests.fixtures.images import same_picture


def _circles() -> list[Circle]:
    return list(db.session.scalars(db.select(Circle).order_by(Circle.id)))


def _create(client, **fields):
    data = {"name": "Physics 7B", "kind": "teaching", "description": "", "join_policy": "code"}
    data.update(fields)
    return client.post("/circles/new", data=data)


def test_create_needs_sign_in(client, make):
    """Is a signed-out visitor sent to sign in instead of creating a circle?"""
    make.user()
    assert client.get("/circles/new").status_code == 302
    assert _create(client).status_code == 302
    assert _circles() == []


@pytest.mark.parametrize("kind", [k.value for k in CircleKind])
def test_create_each_kind(client, make, login, kind):
    """Does creating a circle of each kind make the creator its owner, with a join code?"""
    user = make.user(name="Mia Chen")
    login(user)
    response = _create(client, kind=kind, name="  Physics 7B  ", description="Bring a *calculator*.")
    [circle] = _circles()
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{circle.id}"
    assert circle.name == "Physics 7B" and circle.kind == CircleKind(kind)
    assert circle.member_count == 1
    assert len(circle.join_code) == JOIN_CODE_LENGTH and set(circle.join_code) <= set(ALPHABET)
    owner = membership(circle, user)
    assert owner.role == Role.owner and owner.display_name == "Mia Chen" and owner.is_active
    home = client.get(f"/c/{circle.id}")
    assert home.status_code == 200
    assert "Your circle is ready." in page_text(home)
    assert "<em>calculator</em>" in home.get_data(as_text=True)


@pytest.mark.parametrize("policy", [p.value for p in JoinPolicy])
def test_create_with_each_join_policy(client, make, login, policy):
    """Is the chosen join policy, and the identity the circle asks for, saved?"""
    login(make.user())
    _create(client, join_policy=policy, require_real_name="y", require_student_no="y")
    [circle] = _circles()
    assert circle.join_policy == JoinPolicy(policy)
    assert circle.require_real_name and circle.require_student_no


def test_create_with_cover_image(client, make, login):
    """Is a cover image stored and served to members as image/png?"""
    login(make.user())
    image = png_bytes(4, 3)
    assert _create(client, cover=(io.BytesIO(image), "cover.png")).status_code == 302
    [circle] = _circles()
    assert circle.cover_key
    served = client.get(f"/c/{circle.id}/cover")
    assert served.status_code == 200 and served.mimetype == "image/png" and same_picture(served.data, image)
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert f'src="/c/{circle.id}/cover"' in client.get(f"/c/{circle.id}").get_data(as_text=True)


def test_create_refuses_a_fake_cover(client, make, login):
    """Is a cover that is not an image refused with the reason, and no circle created?"""
    login(make.user())
    response = _create(client, cover=(io.BytesIO(b"GIF? no, plain text"), "cover.gif"))
    assert response.status_code == 422
    assert "This file is not a PNG, JPEG, GIF or WebP image." in page_text(response)
    assert _circles() == []
    assert db.session.scalar(db.select(db.func.count()).select_from(Membership)) == 0


@pytest.mark.parametrize("fields, message", [
    ({"name": ""}, "This field is required."),
    ({"name": "   "}, "This field is required."),
    ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ({"kind": "secret"}, "Not a valid choice."),
    ({"join_policy": "anyone"}, "Not a valid choice."),
])
def test_create_refuses_bad_input(client, make, login, fields, message):
    """Is a missing name (or a bad kind or policy) refused with 422 and a message, creating nothing?"""
    login(make.user())
    response = _create(client, **fields)
    assert response.status_code == 422
    assert message in page_text(response)
    assert _circles() == []


def test_create_without_csrf_token_is_refused(client, make, login):
    """Is a circle creation without the CSRF token refused?"""
    login(make.user())
    assert client.post("/circles/new", data={"name": "x", "kind": "teaching", "join_policy": "code"},
                       csrf=False).status_code == 400
    assert _circles() == []


# -- home -----------------------------------------------------------------------------------

def test_home_for_owner(client, make, login):
    """Does the owner's home page show the circle, their role, and the staff tabs?"""
    owner = make.user(name="Mia Chen")
    circle = make.circle(owner, "Physics 7B")
    login(owner)
    response = client.get(f"/c/{circle.id}")
    text = page_text(response)
    assert response.status_code == 200
    assert "Physics 7B" in text and "Mia Chen" in text and "Owner" in text
    assert f'href="/c/{circle.id}/enrol"' in response.get_data(as_text=True)
    assert f'href="/c/{circle.id}/settings"' in response.get_data(as_text=True)


def test_home_for_student(client, make, login):
    """Does a student see the circle and its staff, but no staff tabs and no leave button for the owner?"""
    owner = make.user(name="Mia Chen")
    circle = make.circle(owner, "Physics 7B")
    student = make.user()
    make.member(circle, student, display_name="Sam")
    login(student)
    response = client.get(f"/c/{circle.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mia Chen" in page_text(response) and "Sam" in page_text(response)
    assert f"/c/{circle.id}/enrol" not in html and f"/c/{circle.id}/settings" not in html
    assert f'action="/c/{circle.id}/leave"' in html


@pytest.mark.parametrize("students, link", [(0, "1 member in total"), (2, "All 3 members")])
def test_home_links_to_all_members_with_a_count(client, make, login, students, link):
    """Does the home page's link to the member list read right for one member and for several?"""
    owner = make.user()
    circle = make.circle(owner)
    for _ in range(students):
        make.member(circle, make.user())
    login(owner)
    text = page_text(client.get(f"/c/{circle.id}"))
    assert link in text
    assert "All 1 member" not in text


def test_home_of_missing_circle_is_404(client, make, login):
    """Is a circle id that does not exist a plain 404?"""
    login(make.user())
    assert client.get("/c/999999").status_code == 404


# -- settings -------------------------------------------------------------------------------

def _settings(client, circle, **fields):
    data = {"name": circle.name, "kind": circle.kind.value, "description": circle.description,
            "join_policy": circle.join_policy.value}
    data.update(fields)
    return client.post(f"/c/{circle.id}/settings", data=data)


def test_settings_page_shows_current_values(client, make, login):
    """Does the settings form start from the circle's current kind and policy?"""
    owner = make.user()
    circle = make.circle(owner, kind=CircleKind.community, join_policy=JoinPolicy.approval)
    login(owner)
    html = client.get(f"/c/{circle.id}/settings").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="community"|<option[^>]*value="community"[^>]*selected', html)
    assert re.search(r'<option[^>]*selected[^>]*value="approval"|<option[^>]*value="approval"[^>]*selected', html)


def test_settings_change(client, make, login):
    """Can the owner change the name, description, policy and required identity fields?"""
    owner = make.user()
    circle = make.circle(owner, "Old name")
    login(owner)
    response = _settings(client, circle, name="New name", description="Hello", join_policy="approval",
                         require_student_no="y")
    assert response.status_code == 302
    circle = reload(circle)
    assert (circle.name, circle.description, circle.join_policy) == ("New name", "Hello", JoinPolicy.approval)
    assert circle.require_student_no and not circle.require_real_name


def test_settings_refuse_bad_input(client, make, login):
    """Is an empty name refused with 422 and nothing changed?"""
    owner = make.user()
    circle = make.circle(owner, "Old name")
    login(owner)
    response = _settings(client, circle, name="", description="changed")
    assert response.status_code == 422
    assert "This field is required." in page_text(response)
    assert reload(circle).name == "Old name" and reload(circle).description == ""


def test_settings_replace_cover_and_refuse_fake(client, make, login):
    """Can the owner set a cover in settings, and is a fake image refused with nothing saved?"""
    owner = make.user()
    circle = make.circle(owner, "Old name")
    login(owner)
    assert _settings(client, circle, cover=(io.BytesIO(png_bytes()), "c.png")).status_code == 302
    key = reload(circle).cover_key
    assert key
    response = _settings(client, circle, name="Renamed", cover=(io.BytesIO(b"nope"), "c.png"))
    assert response.status_code == 422
    assert "This file is not a PNG, JPEG, GIF or WebP image." in page_text(response)
    assert reload(circle).cover_key == key and reload(circle).name == "Old name"


# -- user text is never markup ---------------------------------------------------------------

def test_description_cannot_carry_script(client, make, login):
    """Is a description with <script> and a javascript: link rendered without either?"""
    owner = make.user()
    description = ("<script>alert(1)</script>\n\n[click me](javascript:alert(2))\n\n"
                   '<a href="javascript:alert(3)">raw</a> <img src=x onerror=alert(4)>\n\n'
                   "[fine](https://example.org/)")
    circle = make.circle(owner, description=description)
    login(owner)
    html = client.get(f"/c/{circle.id}").get_data(as_text=True)
    tags = elements(html)
    assert all(attrs.get("src") for tag, attrs in tags if tag == "script")  # only our own script files
    assert not any((attrs.get("href") or "").strip().lower().startswith("javascript:") for _tag, attrs in tags)
    assert not any(name.startswith("on") for _tag, attrs in tags for name in attrs)
    assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in tags)
    assert ("a", {"href": "https://example.org/", "rel": "noopener noreferrer nofollow"}) in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as the text it is


def test_display_name_is_escaped(client, make, login):
    """Is a display name with HTML shown as text, not markup, on the home page and the roster?"""
    owner = make.user()
    circle = make.circle(owner)
    make.member(circle, display_name="<b>x</b><script>alert(1)</script>")
    login(owner)
    for path in (f"/c/{circle.id}", f"/c/{circle.id}/members"):
        html = client.get(path).get_data(as_text=True)
        assert "<b>x</b>" not in html and "<script>alert(1)" not in html
        assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_circle_name_is_escaped(client, make, login):
    """Is a circle name with HTML escaped in the header and in the list of my circles?"""
    owner = make.user()
    circle = make.circle(owner, name='<img src=x onerror="alert(1)">')
    login(owner)
    for path in ("/", f"/c/{circle.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html
        assert "&lt;img src=x" in html


def test_description_images_come_from_this_site_only(client, make, login):
    """Are images from other sites (tracking pixels), also protocol-relative ones, dropped from a description?"""
    owner = make.user()
    circle = make.circle(owner, description=("![a](https://evil.example/a.png) ![b](//evil.example/b.png) "
                                             "![c](/static/c.png)"))
    login(owner)
    sources = [attrs.get("src") for tag, attrs in elements(client.get(f"/c/{circle.id}").get_data(as_text=True))
               if tag == "img"]
    assert "/static/c.png" in sources
    assert not any("evil.example" in (src or "") for src in sources)


def test_my_circles_lists_only_mine(client, make, login):
    """Does "My circles" list the circles I am an active member of, with my role, and no others?"""
    me = make.user()
    mine = make.circle(me, "Mine A")
    joined = make.circle(name="Joined B")
    make.member(joined, me, Role.assistant)
    left = make.circle(name="Left C")
    m = make.member(left, me)
    from lms.circles import operations as ops

    ops.leave_circle(m)
    db.session.commit()
    make.circle(name="Other D")
    login(me)
    text = page_text(client.get("/"))
    assert "Mine A" in text and "Joined B" in text and "Assistant" in text
    assert "Left C" not in text and "Other D" not in text
    assert membership(mine, me).role == Role.owner


def test_my_circles_names_a_role_once(client, make, login):
    """Does "My circles" say "Member · 2 members" no more (the word twice), while a student or a staff member still
    reads their role before the count?"""
    me = make.user()
    community = make.circle(name="Book club", kind=CircleKind.community)
    make.member(community, me, Role.member)
    klass = make.circle(name="Piano 1")
    make.member(klass, me, Role.student)
    db.session.commit()
    login(me)
    text = page_text(client.get("/"))
    assert "Book club 2 members" in text and "Member · " not in text
    assert "Piano 1 Student · 2 members" in text


def test_a_circles_header_names_its_kind_in_a_word(client, make, login):
    """Does a circle's header (and its join page's) name its kind in a word, "Class · 1 member" / "班级 · 1 名成员",
    leaving the explanation of the kinds to the form where one is chosen (every student read "Teaching (a class
    with homework and grades)" under the class's name)?"""
    me = make.user()
    klass = make.circle(me, "Piano 1")
    login(me)
    assert "Piano 1 Class · 1 member" in page_text(client.get(f"/c/{klass.id}"))
    me.locale = "zh_Hans"
    db.session.commit()
    text = page_text(client.get(f"/c/{klass.id}"))
    assert "班级 · 1 名成员" in text and "有作业和成绩" not in text
