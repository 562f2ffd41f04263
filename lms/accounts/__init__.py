"""Accounts: users, sign-in, registration, password reset, profiles, first-run set-up."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from lms.accounts import routes  # noqa: E402,F401  (registers the views)
