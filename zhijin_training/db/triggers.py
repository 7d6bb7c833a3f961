"""Row triggers written once for both engines: PostgreSQL needs a plpgsql function per trigger, SQLite takes
the statements inline. The live modules that own triggers (services/hours_tally.py, ical/roster_stamp.py) describe
them as {name: (when, table, statements, condition)} and their migrations create them from here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# (when, e.g. "AFTER UPDATE OF status"; table; the statements of its body; a WHEN condition or "")
Trigger = tuple[str, str, Sequence[str], str]


def create_sql(dialect: str, triggers: Mapping[str, Trigger]) -> list[str]:
    out: list[str] = []
    for name, (when, table, statements, condition) in triggers.items():
        body = "; ".join(statements)
        if dialect == "postgresql":
            # what a BEFORE trigger lets through (an AFTER trigger's is ignored)
            result = "OLD" if "DELETE" in when else "NEW"
            out.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN {result}; END $$"
            )
            where = f" WHEN ({condition})" if condition else ""
            out.append(
                f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW{where} EXECUTE FUNCTION {name}()"
            )
        else:
            where = f" WHEN {condition}" if condition else ""
            out.append(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW{where} BEGIN {body}; END")
    return out


def drop_sql(dialect: str, triggers: Mapping[str, Trigger]) -> list[str]:
    out: list[str] = []
    for name, (_when, table, _statements, _condition) in triggers.items():
        if dialect == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            out.append(f"DROP TRIGGER IF EXISTS {name}")
    return out
