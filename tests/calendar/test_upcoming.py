"""The calendar's List view of this month: what is coming up from today, across the month's end."""
from __future__ import annotations

from datetime import timedelta

from lms.core.types import utcnow
from lms.extensions import db


def test_the_list_of_this_month_shows_the_next_60_days(klass, hw, client_as):
    """With no month (or this month) does the List view show what is due from today for 60 days, into next
    month, and nothing past; while another month's list still shows that whole month?"""
    klass.student.timezone = "UTC"
    db.session.commit()
    now = utcnow()
    hw.assignment(klass.circle, title="Essay past", due_at=now - timedelta(days=3))
    hw.assignment(klass.circle, title="Essay soon", due_at=now + timedelta(days=40))
    hw.assignment(klass.circle, title="Essay far", due_at=now + timedelta(days=75))
    client = client_as(klass.student)
    base = f"/c/{klass.circle.id}/calendar"
    this_month = f"{now:%Y-%m}"
    for path in (f"{base}?view=agenda", f"{base}?view=agenda&month={this_month}"):
        page = client.get(path).get_data(as_text=True)
        assert "Essay soon" in page and "Essay past" not in page and "Essay far" not in page
        assert "Coming up: the next 60 days" in page
        assert 'rel="next"' in page and 'rel="prev"' in page  # month navigation stays
    far = now + timedelta(days=75)
    month_list = client.get(f"{base}?view=agenda&month={far:%Y-%m}").get_data(as_text=True)
    assert "Essay far" in month_list and "Coming up" not in month_list
    grid = client.get(base).get_data(as_text=True)  # the month grid is unchanged
    assert "Coming up" not in grid
