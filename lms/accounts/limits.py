"""Rate limits of the account forms, and the keys they count by.

A class signs up from one school network: limits on one address or one account stop guessing and
mail-bombing, while the per-IP ceilings are generous enough for 60 students (with typos) in ten
minutes and still stop a single host from probing at scale.
"""
from __future__ import annotations

from flask import request

#: failed sign-ins at one account, from any address (guessing spread over a botnet is counted too)
SIGN_IN_FAILURES_PER_ACCOUNT = "10 per 15 minutes"
#: failed sign-ins from one address, whatever the account (credential stuffing)
SIGN_IN_FAILURES_PER_IP = "100 per 10 minutes;1000 per day"
#: registration attempts naming one address (each mails it), counted whatever the outcome
REGISTER_PER_ADDRESS = "10 per hour"
REGISTER_PER_IP = "150 per 10 minutes;1000 per day"
#: password-reset requests naming one address (each mails it), and from one network
FORGOT_PER_ADDRESS = "5 per hour"
FORGOT_PER_IP = "100 per 10 minutes;1000 per day"
#: wrong passwords given on one registration link
CONFIRM_PER_LINK = "10 per 15 minutes"
#: password changes of one signed-in account (guessing its current password from a stolen session)
PASSWORD_CHANGE = "10 per 15 minutes"


def email_key() -> str:
    """The address a form names, normalized as accounts are (strip, lower-case)."""
    return "email:" + (request.form.get("email") or "").strip().lower()[:254]


def account_key() -> str:
    """The signed-in account (for forms behind sign-in: a class shares one address)."""
    from flask_login import current_user

    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


def person_key() -> str:
    """The signed-in account, or the address of someone signed out."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def token_key() -> str:
    return "token:" + str((request.view_args or {}).get("token", ""))[:100]
