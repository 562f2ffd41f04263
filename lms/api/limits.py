"""Rate limits of the API: per token (or, without one, per address)."""
from __future__ import annotations

#: a script paging through a big circle's roster and grades stays well under this
API_REQUESTS = "300 per minute;5000 per hour"
#: creating tokens on the profile page
TOKEN_CREATE = "20 per hour"
