"""Where the database is and who may do what, resolved once and passed down.

Database location, first match wins: `--db PATH` > `ZHIJIN_TRAINING_DB` > the system config file
(`/etc/zhijin-training/config.toml`, or `ZHIJIN_TRAINING_CONFIG`) > the user's data directory.
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import os
import pwd
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from zhijin_training.db.urls import url_from_path
from zhijin_training.services.errors import DomainError

SYSTEM_CONFIG = Path("/etc/zhijin-training/config.toml")
ENV_DB = "ZHIJIN_TRAINING_DB"
ENV_CONFIG = "ZHIJIN_TRAINING_CONFIG"
ENV_LANG = "ZHIJIN_TRAINING_LANG"
ENV_USER = "ZHIJIN_TRAINING_USER"  # tests and scripts act as a named user


class ConfigError(DomainError):
    """The system configuration file cannot be used (worded from `error.config.*` in locale/*.trust.json)."""

    title_code = "title.config"
    default_code = "config.invalid"


# Every section and key the configuration may hold. A name not listed here stops the program with one line
# naming it: a misspelt `[role]` must never silently fall back to "everyone administers". `None` = the section
# is known and its content is checked by the part of the program that owns it (keys map, hours, notices).
CONFIG_SCHEMA: dict[str, frozenset[str] | None] = {
    "database": frozenset({"path", "url"}),
    "office": frozenset({"name", "email", "uid_domain", "contact", "phone"}),
    "roles": frozenset({"admins", "admin", "editors", "editor", "viewers", "viewer", "default"}),
    "reports": frozenset({"threshold"}),
    "ui": frozenset({"lang"}),
    "keys": None,  # the user key map (tui)
    "hours": None,  # training-hour rules
    "notice": None,  # training notices
}


def declare_config_section(name: str, keys: frozenset[str] | None = None) -> None:
    """Another part of the program makes a section known (`keys=None`: it checks the content itself)."""
    if keys is None:
        CONFIG_SCHEMA[name] = None
    elif name not in CONFIG_SCHEMA or CONFIG_SCHEMA[name] is not None:
        CONFIG_SCHEMA[name] = (CONFIG_SCHEMA.get(name) or frozenset()) | keys


def check_config_schema(config: dict[str, Any], path: Path) -> None:
    """Refuse unknown sections and keys, naming the first one found."""
    for section, body in config.items():
        if section not in CONFIG_SCHEMA:
            raise ConfigError("config.unknown_section", path=str(path), section=section,
                              known=sorted(CONFIG_SCHEMA))
        if not isinstance(body, dict):
            raise ConfigError("config.not_a_table", path=str(path), section=section)
        keys = CONFIG_SCHEMA[section]
        if keys is None:
            continue
        for key in body:
            if key not in keys:
                raise ConfigError("config.unknown_key", path=str(path), section=section, key=key,
                                  known=sorted(keys))


class AccessRole:
    ADMIN = "admin"  # units, roster, settings, and everything an editor does
    EDITOR = "editor"  # sessions, attendance
    VIEWER = "viewer"  # read-only

    ORDER = (VIEWER, EDITOR, ADMIN)

    @classmethod
    def at_least(cls, have: str, need: str) -> bool:
        return cls.ORDER.index(have) >= cls.ORDER.index(need)


@dataclass(frozen=True)
class Settings:
    db_url: str
    db_source: str  # which rule chose the database, for `check` and error messages
    user: str
    role: str
    lang: str = "zh"
    real_user: str = ""  # the OS user when `user` was named by ZHIJIN_TRAINING_USER (audit records both)
    org_name: str = "中共织金县委组织部 干部教育培训办公室"
    org_email: str = "training@zhijin.example.cn"
    uid_domain: str = "zhijin-training.example.cn"
    review_threshold: float = 0.8
    config_path: Path | None = None
    hours: dict[str, Any] = field(default_factory=dict)  # [hours]: 学时 rules (services/hours.py)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **kwargs: Any) -> Settings:
        return replace(self, **kwargs)


NO_ROLE = "none"  # `default = "none"` in [roles]: users not listed may not open the database at all
_ROLE_KEYS = {
    "admins": AccessRole.ADMIN,
    "admin": AccessRole.ADMIN,
    "editors": AccessRole.EDITOR,
    "editor": AccessRole.EDITOR,
    "viewers": AccessRole.VIEWER,
    "viewer": AccessRole.VIEWER,
}


def real_uid() -> int:
    return os.geteuid()


def real_os_user() -> str:
    """The user the operating system says is running us (never taken from the environment)."""
    try:
        return pwd.getpwuid(real_uid()).pw_name
    except KeyError:
        return getpass.getuser()


def current_os_user() -> str:
    """Who is acting: `ZHIJIN_TRAINING_USER` if set (checked by `acting_user`), else the OS user."""
    return os.environ.get(ENV_USER) or real_os_user()


def _user_groups(user: str) -> set[str]:
    """The OS groups of `user` (primary and supplementary); empty for a name the OS does not know."""
    names: set[str] = set()
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return names
    with contextlib.suppress(KeyError):
        names.add(grp.getgrgid(entry.pw_gid).gr_name)
    names.update(g.gr_name for g in grp.getgrall() if user in g.gr_mem)
    if entry.pw_uid == real_uid():
        for gid in os.getgroups():
            with contextlib.suppress(KeyError):
                names.add(grp.getgrgid(gid).gr_name)
    return names


def _check_roles(roles: dict[str, Any], where: Path | None) -> None:
    if not isinstance(roles, dict):
        raise ConfigError("config.not_a_table", path=str(where), section="roles")
    for key, value in roles.items():
        if key == "default":
            if value not in (*AccessRole.ORDER, NO_ROLE):
                raise ConfigError("config.roles_default", path=str(where), value=repr(value))
        elif key not in _ROLE_KEYS:
            raise ConfigError(
                "config.unknown_key", path=str(where), section="roles", key=key,
                known=sorted(CONFIG_SCHEMA["roles"] or ()),
            )
        elif not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError("config.roles_list", path=str(where), key=key)


def resolve_role(
    user: str, roles: dict[str, Any] | None, *, groups: set[str] | None = None, where: Path | None = None
) -> str:
    """Roles come from the config's [roles] table: user names and @groups per role; the highest wins.

    Without a [roles] table (a single-user install) the user administers their own database.
    """
    if not roles:
        return AccessRole.ADMIN
    _check_roles(roles, where)
    groups = _user_groups(user) if groups is None else groups
    for role in (AccessRole.ADMIN, AccessRole.EDITOR, AccessRole.VIEWER):
        members = [m.strip() for key, ms in roles.items() if _ROLE_KEYS.get(key) == role for m in ms]
        for member in members:
            if member == user or (member.startswith("@") and member[1:] in groups):
                return role
    default = str(roles.get("default", AccessRole.VIEWER))
    if default == NO_ROLE:
        raise ConfigError("config.no_role", user=user, path=str(where or "config.toml"))
    return default


def acting_user(roles: dict[str, Any] | None, roles_path: Path | None) -> str:
    """The OS user, or the one named by ZHIJIN_TRAINING_USER when acting as them cannot grant anything new.

    Acting as someone else is allowed without roles (single-user), for root, for whoever owns the file the
    roles come from (they could write any role anyway: tests, personal installs) and for admins.
    """
    real = real_os_user()
    named = (os.environ.get(ENV_USER) or "").strip()
    if not named or named == real or not roles:
        return named or real
    if real_uid() == 0:
        return named
    with contextlib.suppress(OSError):
        if roles_path is not None and roles_path.stat().st_uid == real_uid():
            return named
    if resolve_role(real, roles, where=roles_path) == AccessRole.ADMIN:
        return named
    raise ConfigError("config.act_as_needs_admin", var=ENV_USER, named=named, real=real, path=str(roles_path))


def roles_source(config_path: Path, config: dict[str, Any]) -> tuple[dict[str, Any] | None, Path | None]:
    """[roles] of the system config win over a config the user picked: nobody grants themselves a role."""
    if config_path != SYSTEM_CONFIG and SYSTEM_CONFIG.exists():
        system = load_config(SYSTEM_CONFIG)
        if system.get("roles"):
            return system["roles"], SYSTEM_CONFIG
    return config.get("roles"), config_path


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        if path.stat().st_size > _CONFIG_LIMIT:
            raise ConfigError("config.too_large", path=str(path), limit=_CONFIG_LIMIT)
        with path.open("rb") as fh:
            config = tomllib.loads(fh.read(_CONFIG_LIMIT + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("config.unreadable", path=str(path), reason=str(exc)) from None
    check_config_schema(config, path)
    return config


_CONFIG_LIMIT = 256 * 1024


def default_db_path() -> Path:
    return Path(user_data_dir("zhijin-training", appauthor=False)) / "zhijin-training.db"


def load_settings(db: str | None = None, lang: str | None = None) -> Settings:
    env_config = os.environ.get(ENV_CONFIG)
    config_path = Path(env_config) if env_config else SYSTEM_CONFIG
    config = load_config(config_path)
    if db:
        db_url, source = url_from_path(db), "--db"
    elif os.environ.get(ENV_DB):
        db_url, source = url_from_path(os.environ[ENV_DB]), ENV_DB
    elif config.get("database", {}).get("url") or config.get("database", {}).get("path"):
        section = config["database"]
        db_url, source = url_from_path(section.get("url") or section["path"]), str(config_path)
    else:
        db_url, source = url_from_path(default_db_path()), "user data directory"
    roles, roles_path = roles_source(config_path, config)
    user = acting_user(roles, roles_path)
    office = config.get("office", {})
    return Settings(
        db_url=db_url,
        db_source=source,
        user=user,
        real_user=real_os_user(),
        role=resolve_role(user, roles, where=roles_path),
        lang=_pick_lang(lang or os.environ.get(ENV_LANG) or config.get("ui", {}).get("lang")),
        org_name=office.get("name", Settings.org_name),
        org_email=office.get("email", Settings.org_email),
        uid_domain=office.get("uid_domain", Settings.uid_domain),
        review_threshold=_threshold(config, config_path),
        config_path=config_path if config else None,
        hours=config.get("hours") if isinstance(config.get("hours"), dict) else {},
        extra=config,
    )


def _threshold(config: dict[str, Any], path: Path) -> float:
    value = config.get("reports", {}).get("threshold", Settings.review_threshold)
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise ConfigError("config.threshold", path=str(path), value=repr(value)) from None
    if not 0 <= threshold <= 1:
        raise ConfigError("config.threshold", path=str(path), value=repr(value))
    return threshold


def _pick_lang(value: str | None) -> str:
    if value:
        return "en" if value.lower().startswith("en") else "zh"
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "en" if locale.lower().startswith("en") else "zh"
