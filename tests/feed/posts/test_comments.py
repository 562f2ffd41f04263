"""Comments (one level of threads), likes, and the notifications they send."""
from __future__ import annotations

import re

from lms.extensions import db
from lms.feed.posts.models import Comment, Like
from lms.notifications.models import Notification
from tests.feed.posts.conftest import last_comment, last_post, write_post
from tests.fixtures.app import page_text


def _notifications(user) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_a_reply_to_a_reply_joins_the_top_level_thread(feed):
    """Does replying to a reply attach the new comment to the top-level comment (threads one level deep),
    and does the page show replies under their comment?"""
    write_post(feed.clients["sam"], feed.circle.id, "Where shall we go?")
    post = last_post()
    url = f"{feed.url}/{post.id}/comments"
    feed.clients["pia"].post(url, data={"body_md": "The lake"})
    top = last_comment()
    feed.clients["sam"].post(url, data={"body_md": "Which lake?", "reply_to": str(top.id)})
    reply = last_comment()
    feed.clients["pia"].post(url, data={"body_md": "The big one", "reply_to": str(reply.id)})
    deeper = last_comment()
    assert (reply.parent_id, deeper.parent_id) == (top.id, top.id)
    text = page_text(feed.clients["owner"].get(f"{feed.url}/{post.id}"))
    assert text.index("The lake") < text.index("Which lake?") < text.index("The big one")
    assert "3 comments" in text


def test_a_reply_to_a_comment_of_another_post_is_404(feed):
    """Can a comment reply to a comment of another post (or circle)? It gets 404, nothing stored."""
    write_post(feed.clients["sam"], feed.circle.id, "One")
    first = last_post()
    feed.clients["pia"].post(f"{feed.url}/{first.id}/comments", data={"body_md": "On one"})
    elsewhere = last_comment()
    write_post(feed.clients["sam"], feed.circle.id, "Two")
    second = last_post()
    response = feed.clients["pia"].post(f"{feed.url}/{second.id}/comments",
                                        data={"body_md": "Sneaky", "reply_to": str(elsewhere.id)})
    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 1


def test_comment_and_reply_notify_the_post_and_comment_authors(feed):
    """Is the post's author told of a comment, the comment's author of a reply, and nobody of their own?"""
    write_post(feed.clients["sam"], feed.circle.id, "Photos from Saturday")
    post = last_post()
    url = f"{feed.url}/{post.id}/comments"
    feed.clients["sam"].post(url, data={"body_md": "Mine first"})  # own comment: nobody told
    assert _notifications(feed.sam) == []
    feed.clients["pia"].post(url, data={"body_md": "Lovely"})
    top = last_comment()
    [told] = _notifications(feed.sam)
    assert told.kind == "comment_on_my_post" and told.params["actor"] == "Pia Student"
    assert told.url == f"{feed.url}/{post.id}#comment-{top.id}"
    feed.clients["teacher"].post(url, data={"body_md": "Agreed", "reply_to": str(top.id)})
    assert [n.kind for n in _notifications(feed.pia)] == ["reply_to_my_comment"]
    assert [n.kind for n in _notifications(feed.sam)] == ["comment_on_my_post", "comment_on_my_post"]


def test_author_edits_and_deletes_own_comment_but_not_others(feed):
    """May a member edit and delete their comment, and get 403 on someone else's?"""
    write_post(feed.clients["sam"], feed.circle.id, "Hello")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Hi"})
    comment = last_comment()
    base = f"{feed.url}/{post.id}/comments/{comment.id}"
    assert feed.clients["sam"].post(f"{base}/edit", data={"body_md": "Changed"}).status_code == 403
    assert feed.clients["sam"].post(f"{base}/delete").status_code == 403
    assert feed.clients["pia"].post(f"{base}/edit", data={"body_md": "Hi all"}).status_code == 302
    db.session.refresh(comment)
    assert comment.body_md == "Hi all" and comment.edited_at is not None
    assert feed.clients["pia"].post(f"{base}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0


def test_one_like_per_member_counted(feed):
    """Is a like counted once per member however often they press, and taken back on a second press?"""
    write_post(feed.clients["sam"], feed.circle.id, "Like me")
    post = last_post()
    url = f"{feed.url}/{post.id}/like"
    for _ in range(2):
        feed.clients["pia"].post(url, data={"liked": "1"})
    feed.clients["teacher"].post(url, data={"liked": "1"})
    assert db.session.scalar(db.select(db.func.count()).select_from(Like)) == 2
    page = feed.clients["owner"].get(feed.url)
    assert "Like · 2" in page_text(page)
    assert "Liked · 2" in page_text(feed.clients["pia"].get(feed.url))
    feed.clients["pia"].post(url, data={"liked": "0"})
    assert db.session.scalar(db.select(db.func.count()).select_from(Like)) == 1


def test_opening_the_post_reads_its_notifications(feed):
    """Once the author opens their post, are the notifications about it read (and others' left alone)?"""
    write_post(feed.clients["sam"], feed.circle.id, "Read me")
    post = last_post()
    feed.clients["pia"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "First!"})
    top = last_comment()
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/comments", data={"body_md": "Hi", "reply_to": str(top.id)})
    feed.clients["sam"].get(f"{feed.url}/{post.id}")
    assert [n.read_at is not None for n in _notifications(feed.sam)] == [True, True]
    assert [n.read_at is not None for n in _notifications(feed.pia)] == [False]


def test_deleting_a_comment_deletes_its_replies(feed):
    """Does deleting a top-level comment take its replies with it?"""
    write_post(feed.clients["sam"], feed.circle.id, "Thread")
    post = last_post()
    url = f"{feed.url}/{post.id}/comments"
    feed.clients["pia"].post(url, data={"body_md": "Top"})
    top = last_comment()
    feed.clients["sam"].post(url, data={"body_md": "Reply", "reply_to": str(top.id)})
    assert feed.clients["pia"].post(f"{url}/{top.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0


def test_a_like_from_the_script_answers_the_count(feed):
    """Does the like button's script (Accept: application/json) get whether it is liked and the count?"""
    write_post(feed.clients["sam"], feed.circle.id, "Like me")
    post = last_post()
    feed.clients["teacher"].post(f"{feed.url}/{post.id}/like", data={"liked": "1"})
    answer = feed.clients["pia"].post(f"{feed.url}/{post.id}/like", data={"liked": "1"},
                                      headers={"Accept": "application/json"})
    assert answer.get_json() == {"liked": True, "count": 2}


def test_a_post_with_many_comments_pages_them_and_a_new_one_lands_on_its_page(feed, monkeypatch, count_queries):
    """A post with more threads than a page holds (page size 3 here): does each page show the next threads
    oldest first with their replies (nothing left out, nothing twice), the last one link to no further page,
    a new comment redirect to the page that shows it, and a page cost the same queries as the first?"""
    from lms.feed.posts import queries as q

    monkeypatch.setattr(q, "THREADS_PER_PAGE", 3)
    write_post(feed.clients["sam"], feed.circle.id, "Busy post")
    post = last_post()
    url = f"{feed.url}/{post.id}/comments"
    for n in range(7):
        feed.clients["pia"].post(url, data={"body_md": f"Comment {n}"})
        if n == 1:
            feed.clients["sam"].post(url, data={"body_md": "Reply to one", "reply_to": str(last_comment().id)})
    seen, path, pages, counts = [], f"{feed.url}/{post.id}", 0, []
    while path:
        with count_queries:
            response = feed.clients["owner"].get(path)
        counts.append(count_queries.count)
        html = response.get_data(as_text=True)
        seen += re.findall(r"Comment \d|Reply to one", page_text(response))
        found = re.search(r'href="([^"]+)#comments" data-comments-next', html)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert seen == ["Comment 0", "Comment 1", "Reply to one", "Comment 2", "Comment 3", "Comment 4", "Comment 5",
                    "Comment 6"]
    assert pages == 3 and len(set(counts)) == 1, counts
    assert "data-comments-first" in html and "No comments yet." not in html
    answer = feed.clients["pia"].post(url, data={"body_md": "Comment 7"})
    added = last_comment()
    assert answer.headers["Location"].endswith(f"?after={added.id - 1}#comment-{added.id}")
    assert "Comment 7" in page_text(feed.clients["pia"].get(answer.headers["Location"].split("#")[0]))
    first = feed.clients["pia"].post(url, data={"body_md": "On the first", "reply_to": str(
        db.session.scalar(db.select(Comment.id).where(Comment.body_md == "Comment 0")))})
    assert first.headers["Location"].endswith(f"/{post.id}#comment-{last_comment().id}")
