"""The audit log as a hash chain: each entry carries the hash of the one before it.

One canonical serialisation (sorted-key compact JSON, UTF-8, instants as naive UTC with microseconds) so the
program, the migration that backfills old logs, `check` and `restore` all compute the same hash. Deleting,
inserting or editing any entry changes every hash after it, so a printed receipt (entry count + short hash)
later proves whether the log was rewritten after it was printed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
RECEIPT_DIGITS = 12

# the audit_log columns that the hash covers, in this order (id is not: it is the position in the chain)
CHAIN_COLUMNS = (
    "at",
    "os_user",
    "real_user",
    "action",
    "entity",
    "entity_id",
    "session_id",
    "cadre_id",
    "before",
    "after",
    "reason",
)
# columns added after the chain began: hashed only when set, so an entry without one (written before the
# column existed, or by a build that had no such column) hashes exactly as it did then
OPTIONAL_CHAIN_COLUMNS = ("operation",)


def _instant(value: Any) -> str:
    if isinstance(value, str):  # raw SQLite text: '2026-12-01 10:00:00.123456'
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _json_value(value: Any) -> Any:
    if isinstance(value, str):  # a JSON column read without SQLAlchemy's type
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def canonical(entry: Mapping[str, Any], prev_hash: str) -> bytes:
    body = {key: entry.get(key) for key in CHAIN_COLUMNS}
    body["at"] = _instant(body["at"])
    body["before"] = _json_value(body["before"])
    body["after"] = _json_value(body["after"])
    body["real_user"] = body["real_user"] or ""
    body["reason"] = body["reason"] or ""
    for key in OPTIONAL_CHAIN_COLUMNS:
        if entry.get(key) is not None:
            body[key] = entry[key]
    body["prev_hash"] = prev_hash
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(entry, prev_hash)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    count: int  # entries read
    last_hash: str
    first_broken: int | None = None  # id of the first entry whose hash or link does not verify
    problem: str = ""  # "link" (prev_hash is not the previous entry's hash) or "hash" (content changed)

    @property
    def ok(self) -> bool:
        return self.first_broken is None

    @property
    def receipt(self) -> str:
        return f"{self.count}:{self.last_hash[:RECEIPT_DIGITS]}"


def verify(rows: Iterable[Mapping[str, Any]], *, stop_at: int | None = None) -> ChainReport:
    """Walk the entries in id order; `stop_at` ends after that many entries (for a receipt)."""
    prev = GENESIS
    count = 0
    for row in rows:
        if row.get("prev_hash") != prev:
            return ChainReport(count, prev, int(row["id"]), "link")
        computed = entry_hash(row, prev)
        if row.get("entry_hash") != computed:
            return ChainReport(count, prev, int(row["id"]), "hash")
        prev = computed
        count += 1
        if stop_at is not None and count >= stop_at:
            break
    return ChainReport(count, prev)


def parse_receipt(text: str) -> tuple[int, str] | None:
    count, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not count.isdigit() or len(count) > 12 or not digest or len(digest) > 64:
        return None
    if any(ch not in "0123456789abcdef" for ch in digest):
        return None
    return int(count), digest
