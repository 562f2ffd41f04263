"""Flask extensions, created unbound here and initialised in create_app."""
from __future__ import annotations

from flask import current_app, has_app_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()
class _SiteLimiter(Limiter):
    """Flask-Limiter keeps its key prefix on its one global object, set by the first app built in
    the process; here each request counts under its own app's RATELIMIT_KEY_PREFIX (the site's
    REDIS_PREFIX, lms.config), so sites sharing a Redis server never share a counter."""

    @property
    def _key_prefix(self) -> str:
        if has_app_context():
            return current_app.config.get("RATELIMIT_KEY_PREFIX", "")
        return self._default_key_prefix

    @_key_prefix.setter
    def _key_prefix(self, value: str) -> None:
        self._default_key_prefix = value

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        # Before each request Flask-Limiter resolves the limits of the endpoint from scratch; on a page
        # no limit names (most pages: this site sets no default, application, meta or blueprint limits)
        # that always comes to none, so such a request is let through without it. Limited views, and
        # any limit configured site-wide, take Flask-Limiter's own path.
        if in_middleware and callable_name is None and not self._may_apply():
            return None
        return super()._check_request_limit(callable_name, in_middleware)

    def _may_apply(self) -> bool:
        """Whether any limit may apply to this request (False only when none can)."""
        manager = self.limit_manager
        if (self._meta_limits or self._in_memory_fallback or manager._application_limits
                or manager._default_limits or manager._blueprint_limits):
            return True
        endpoint = request.endpoint
        if not endpoint:
            return True
        view = current_app.view_functions.get(endpoint)
        return (view is None or get_qualified_name(view) in self._marked_for_limiting
                or manager.has_hints(endpoint))


limiter = _SiteLimiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def socketio_channel(app) -> str:
    """The Redis pub/sub channel of this site's Socket.IO processes. Pub/sub is server-wide (database
    numbers do not separate it), so the site's REDIS_PREFIX names it: two sites on one Redis server
    never receive each other's pushes."""
    return f"{app.config['REDIS_PREFIX']}-socketio"


@limiter.request_filter
def _rate_limits_off() -> bool:
    """Per-app switch (config RATE_LIMITING); see lms.config.load_config."""
    return not current_app.config.get("RATE_LIMITING", True)
