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

from zhijin_training.db.engine import url_from_path

SYSTEM_CONFIG = Path("/etc/zhijin-training/config.toml")
ENV_DB = "ZHIJIN_TRAINING_DB"
ENV_CONFIG = "ZHIJIN_TRAINING_CONFIG"
ENV_LANG = "ZHIJIN_TRAINING_LANG"
ENV_USER = "ZHIJIN_TRAINING_USER"  # tests and scripts act as a named user


class ConfigError(ValueError):
    """The system configuration file cannot be used."""


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
    org_name: str = "中共织金县委组织部 干部教育培训办公室"
    org_email: str = "training@zhijin.example.cn"
    uid_domain: str = "zhijin-training.example.cn"
    review_threshold: float = 0.8
    config_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **kwargs: Any) -> Settings:
        return replace(self, **kwargs)


def current_os_user() -> str:
    explicit = os.environ.get(ENV_USER)
    if explicit:
        return explicit
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return getpass.getuser()


def _user_groups(user: str) -> set[str]:
    names: set[str] = set()
    with contextlib.suppress(KeyError):
        names.add(grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name)
    names.update(g.gr_name for g in grp.getgrall() if user in g.gr_mem)
    return names


def resolve_role(user: str, roles: dict[str, Any] | None) -> str:
    """Roles come from the system config's [roles] table: user names and @groups per role.

    Without a [roles] table (a single-user install) the user administers their own database.
    """
    if not roles:
        return AccessRole.ADMIN
    groups = _user_groups(user) if not os.environ.get(ENV_USER) else set()
    for role in (AccessRole.ADMIN, AccessRole.EDITOR, AccessRole.VIEWER):
        members = roles.get(role + "s", roles.get(role, [])) or []
        for member in members:
            if member == user or (member.startswith("@") and member[1:] in groups):
                return role
    return str(roles.get("default", AccessRole.VIEWER))


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


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
    user = current_os_user()
    office = config.get("office", {})
    return Settings(
        db_url=db_url,
        db_source=source,
        user=user,
        role=resolve_role(user, config.get("roles")),
        lang=_pick_lang(lang or os.environ.get(ENV_LANG) or config.get("ui", {}).get("lang")),
        org_name=office.get("name", Settings.org_name),
        org_email=office.get("email", Settings.org_email),
        uid_domain=office.get("uid_domain", Settings.uid_domain),
        review_threshold=float(config.get("reports", {}).get("threshold", Settings.review_threshold)),
        config_path=config_path if config else None,
        extra=config,
    )


def _pick_lang(value: str | None) -> str:
    if value:
        return "en" if value.lower().startswith("en") else "zh"
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "en" if locale.lower().startswith("en") else "zh"
