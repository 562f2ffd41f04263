"""Jobs of the notification service: a large fan-out in batches, mail that is due, the daily digests."""
from __future__ import annotations

from lms.extensions import db


def fan_out_notifications(fan_out_id: int) -> None:
    """Task: write the notifications of FanOut `fan_out_id` in batches, pushing progress; a finished or
    missing one is left alone (a retry after the last batch does nothing)."""
    from lms.notifications.models import FanOut
    from lms.notifications.operations import run_fan_out

    fan_out = db.session.get(FanOut, fan_out_id)
    if fan_out is None or fan_out.is_finished:
        return
    run_fan_out(fan_out)


def send_notification_mail() -> None:
    """Task (also periodic): mail every notification whose mail is due (now, or its recipient's quiet
    hours are over), one message each, claimed first so two workers never send one twice."""
    from lms.notifications.mail import send_due_mail

    send_due_mail()


def send_notification_digests() -> None:
    """Task (periodic): send each person whose digest hour has come one mail with everything collected
    for their digest since the last."""
    from lms.notifications.mail import send_digests

    send_digests()
