"""The audit log: an append-only record of privileged actions, shown to site and org admins."""
from flask import Blueprint

bp = Blueprint("audit", __name__)
