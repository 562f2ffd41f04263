"""Account merge: site and org admins find likely duplicate accounts and merge two into one."""
from flask import Blueprint

bp = Blueprint("merge", __name__)
