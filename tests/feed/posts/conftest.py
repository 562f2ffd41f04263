"""A circle with its feed, and helpers that act through the real pages."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from PIL import Image

from lms.circles.models import Role
from lms.extensions import db
from lms.feed.posts.models import Comment, Post


@pytest.fixture
def feed(make, client_as):
    """A teaching circle: its owner Olga, teacher Tom, assistant Ada, students Sam and Pia; and Xena,
    who is only in another circle. Each has a signed-in client."""
    owner = make.user("Olga Owner")
    circle = make.circle(owner, "Photo club")
    people = {"owner": owner}
    for key, name, role in (("teacher", "Tom Teacher", Role.teacher), ("assistant", "Ada Assistant", Role.assistant),
                            ("sam", "Sam Student", Role.student), ("pia", "Pia Student", Role.student)):
        people[key] = make.user(name)
        make.member(circle, people[key], role)
    people["stranger"] = make.user("Xena Stranger")
    make.circle(people["stranger"], "Elsewhere")
    clients = {key: client_as(user) for key, user in people.items()}
    return SimpleNamespace(circle=circle, url=f"/circles/{circle.id}/feed", clients=clients, **people)


def png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "PNG")
    return out.getvalue()


def write_post(client, circle_id: int, body: str = "", *, images=(), follow=False, **fields):
    """Post through the feed's form; returns the response."""
    data = {"body_md": body, **fields}
    if images:
        data["images"] = [(io.BytesIO(data_), f"photo{i}.png") for i, data_ in enumerate(images)]
    return client.post(f"/circles/{circle_id}/feed", data=data, content_type="multipart/form-data",
                       follow_redirects=follow)


def last_post() -> Post:
    return db.session.scalar(db.select(Post).order_by(Post.id.desc()))


def last_comment() -> Comment:
    return db.session.scalar(db.select(Comment).order_by(Comment.id.desc()))


def post_ids(html: str) -> list[int]:
    """The ids of the posts a feed page shows, in order."""
    return [int(i) for i in re.findall(r'<article class="card post[^"]*" id="post-(\d+)"', html)]
