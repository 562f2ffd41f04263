"""Posting, editing and deleting posts; images; what the Markdown of a post may contain."""
from __future__ import annotations

import pytest

from lms.extensions import db
from lms.feed.posts.models import Post, PostKind, PostState
from tests.feed.posts.conftest import last_post, png, post_ids, write_post
from tests.fixtures.app import page_text


def test_member_posts_and_everyone_in_the_circle_reads_it(feed):
    """Does a student's post reach the feed of every member, under the name the circle knows them by?"""
    response = write_post(feed.clients["sam"], feed.circle.id, "Our *first* outing is on Saturday")
    assert response.status_code == 302
    post = last_post()
    assert (post.author_id, post.state, post.kind) == (feed.sam.id, PostState.published, PostKind.post)
    page = feed.clients["pia"].get(feed.url)
    assert page.status_code == 200
    assert post_ids(page.get_data(as_text=True)) == [post.id]
    assert "Sam Student" in page_text(page)
    assert "<em>first</em>" in page.get_data(as_text=True)


def test_empty_post_is_refused(feed):
    """Is a post with neither text nor image nor video refused with a reason, and nothing stored?"""
    response = write_post(feed.clients["sam"], feed.circle.id, "   ")
    assert response.status_code == 422
    assert "Write something, or add an image or a video." in page_text(response)
    assert last_post() is None


@pytest.mark.parametrize("body, absent", [
    ("<script>alert(1)</script>hello", "<script>alert(1)"),
    ("[click](javascript:alert(1))", 'href="javascript'),
    ("![x](https://tracker.example/pixel.png)", 'src="https://tracker.example'),
    ('<img src=x onerror="alert(1)">', '<img src=x'),
])
def test_post_and_comment_markup_is_sanitized(feed, body, absent):
    """Can a member's post or comment run script, link to javascript: or load a remote image in
    another member's browser (feed, post page, home page)?"""
    write_post(feed.clients["sam"], feed.circle.id, body)
    post = last_post()
    feed.clients["sam"].post(f"{feed.url}/{post.id}/comments", data={"body_md": body})
    for url in (feed.url, f"{feed.url}/{post.id}", f"/c/{feed.circle.id}"):
        html = feed.clients["pia"].get(url).get_data(as_text=True)
        assert absent not in html, url


def test_images_are_stored_clean_and_served_only_to_the_circle(feed):
    """Is a post's image re-encoded (whatever its name says), shown to members, and a 404 for a stranger?"""
    response = write_post(feed.clients["sam"], feed.circle.id, "Sunset", images=[png()])
    assert response.status_code == 302
    post = last_post()
    [image] = post.images
    url = f"{feed.url}/{post.id}/images/{image.id}"
    served = feed.clients["pia"].get(url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert feed.clients["stranger"].get(url).status_code == 404


def test_a_file_that_is_no_image_is_refused(feed):
    """Is an HTML file named like a photo refused (by its content, not its name)?"""
    response = write_post(feed.clients["sam"], feed.circle.id, "x", images=[b"<html><script>1</script>"])
    assert response.status_code == 422
    assert "not a PNG, JPEG, GIF or WebP image" in page_text(response)
    assert last_post() is None


def test_author_edits_and_deletes_own_post(feed):
    """Can the author change the text (marked edited) and delete the post with its comments?"""
    write_post(feed.clients["sam"], feed.circle.id, "Draft text")
    post = last_post()
    post_id = post.id
    edited = feed.clients["sam"].post(f"{feed.url}/{post.id}/edit", data={"body_md": "Better text"},
                                      content_type="multipart/form-data")
    assert edited.status_code == 302
    db.session.refresh(post)
    assert post.body_md == "Better text" and post.edited_at is not None
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Nice"})
    assert feed.clients["sam"].post(f"{feed.url}/{post.id}/delete").status_code == 302
    db.session.expunge_all()
    assert db.session.get(Post, post_id) is None


def test_member_cannot_edit_or_delete_anothers_post(feed):
    """Does a classmate get 403 editing or deleting Sam's post, and the post stays as it was?"""
    write_post(feed.clients["sam"], feed.circle.id, "Mine")
    post = last_post()
    pia = feed.clients["pia"]
    assert pia.get(f"{feed.url}/{post.id}/edit").status_code == 403
    assert pia.post(f"{feed.url}/{post.id}/edit", data={"body_md": "Hijacked"},
                    content_type="multipart/form-data").status_code == 403
    assert pia.post(f"{feed.url}/{post.id}/delete").status_code == 403
    db.session.refresh(post)
    assert post.body_md == "Mine"


@pytest.mark.parametrize("path, method", [
    ("", "GET"), ("", "POST"), ("/{post}", "GET"), ("/{post}/edit", "GET"), ("/{post}/delete", "POST"),
    ("/{post}/like", "POST"), ("/{post}/comments", "POST"), ("/{post}/essential", "POST"),
    ("/{post}/hide", "POST"), ("/{post}/images/{image}", "GET"), ("/queue", "GET"), ("/settings", "GET"),
    ("/contest", "GET"), ("/{post}/comments/{comment}/edit", "GET"), ("/{post}/comments/{comment}/hide", "POST"),
])
def test_stranger_gets_404_everywhere(feed, path, method):
    """Does someone outside the circle get 404 (never 403) for the feed, its posts, comments and pages?"""
    write_post(feed.clients["sam"], feed.circle.id, "Hello", images=[png()])
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Hi"})
    from tests.feed.posts.conftest import last_comment

    url = feed.url + path.format(post=post.id, image=post.images[0].id, comment=last_comment().id)
    response = feed.clients["stranger"].open(url, method=method, data={"body_md": "x", "reason": "x"})
    assert response.status_code == 404
    assert feed.clients["stranger"].get(f"/circles/{feed.circle.id}/search?q=hello").status_code == 404


def test_a_post_of_another_circle_is_404_through_this_circle(feed, make):
    """Is a post looked up through its own circle only (another circle's id in the URL gives 404)?"""
    other = make.circle(feed.sam, "Sam's own")
    write_post(feed.clients["sam"], other.id, "In my own circle")
    post = last_post()
    assert feed.clients["sam"].get(f"{feed.url}/{post.id}").status_code == 404
    assert feed.clients["sam"].get(f"/circles/{other.id}/feed/{post.id}").status_code == 200
