"""What every service call needs: the database, who is acting, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from zhijin_training.db.engine import Database
from zhijin_training.services.errors import PermissionDenied
from zhijin_training.settings import AccessRole, Settings
from zhijin_training.timeutil import utcnow


@dataclass(frozen=True)
class Actor:
    user: str
    role: str = AccessRole.ADMIN
    real_user: str = ""  # who really runs the program when acting as `user` (ZHIJIN_TRAINING_USER)

    def require(self, need: str, what: str) -> None:
        """Roles are enforced here, in the services, not merely hidden in the UI."""
        if not AccessRole.at_least(self.role, need):
            raise PermissionDenied(
                "permission.role_needed", user=self.user, role=self.role, need=need, action=what
            )


@dataclass(frozen=True)
class Context:
    db: Database
    actor: Actor
    settings: Settings | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        return self.clock()

    @property
    def uid_domain(self) -> str:
        return self.settings.uid_domain if self.settings else "zhijin-training.example.cn"


def open_context(settings: Settings, *, check_schema: bool = True) -> Context:
    from zhijin_training.db.engine import sqlite_path
    from zhijin_training.db.schema import SCHEMA_HEAD, stored_revision
    from zhijin_training.services.errors import SchemaOutOfDate

    path = sqlite_path(settings.db_url)
    if check_schema and path is not None and not path.exists():
        # only `init` creates a database: a mistyped path must not leave an empty file behind
        raise SchemaOutOfDate("schema.missing_file", path=str(path))
    db = Database(settings.db_url)
    if check_schema:
        current = stored_revision(db)
        where = db.path or settings.db_url
        if current is None:
            raise SchemaOutOfDate("schema.not_initialised", where=str(where))
        if current != SCHEMA_HEAD:
            raise SchemaOutOfDate("schema.differs", where=str(where), current=current, head=SCHEMA_HEAD)
    return Context(db=db, actor=actor_for(db, settings), settings=settings)


def actor_for(db: Database, settings: Settings) -> Actor:
    """Who acts with which role. On SQLite: the config's [roles]. On a PostgreSQL database whose roles are set up
    (`db roles setup`): the server's `session_user` (peer authentication vouches for it) and the highest zt_
    group it is a member of; no setting can raise it, and the database refuses what the group may not do."""
    real = settings.real_user if settings.real_user and settings.real_user != settings.user else ""
    if db.is_sqlite:
        return Actor(settings.user, settings.role, real)
    from zhijin_training.db.pg_roles import role_of_session

    with db.engine.connect() as conn:
        found = role_of_session(conn)
    if found is None:  # a server without our roles (a personal or test database): the config decides
        return Actor(settings.user, settings.role, real)
    session_user, role = found
    if role is None:
        raise PermissionDenied("pg.no_group", user=session_user)
    # acting as someone else (ZHIJIN_TRAINING_USER) names them; the audit trigger adds the vouched login
    user = settings.user if real else session_user
    return Actor(user, role, session_user if user != session_user else "")
