"""Accounts: users, sign-in, registration, password reset, profiles, first-run set-up."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

