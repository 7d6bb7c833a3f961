"""How the audit screen words an operation (services.audit.AuditGroup): one row, "新增场次 … 含 88 名参训人员".

The head entry says what was done to what; the other entries of the operation are counted after its changes
(participants planned in, attendance records, people removed, sessions of a series) and listed when the row
is opened.
"""

from __future__ import annotations

from zhijin_training.i18n import t
from zhijin_training.services.audit import AuditGroup

_KINDS = (
    ((("create", "participant"),), "feat.audit.with_people"),
    ((("delete", "participant"),), "feat.audit.with_removed"),
    ((("create", "attendance"), ("update", "attendance")), "feat.audit.with_marks"),
)


def extra_text(group: AuditGroup) -> str:
    """What the operation did besides its head entry, e.g. `含 88 名参训人员`; empty for a single entry."""
    if group.size <= 1:
        return ""
    head = (group.head.action, group.head.entity)

    def others(action: str, entity: str) -> int:
        return group.count(action, entity) - (1 if head == (action, entity) else 0)

    parts: list[str] = []
    counted = 1
    sessions = others("create", "session")
    if sessions > 0:  # a lecture series: the head is its first session
        parts.append(t("feat.audit.with_sessions", n=sessions + (1 if head == ("create", "session") else 0)))
        counted += sessions
    for kinds, key in _KINDS:
        n = sum(others(action, entity) for action, entity in kinds)
        if n > 0:
            parts.append(t(key, n=n))
            counted += n
    if group.size > counted:
        parts.append(t("feat.audit.with_more", n=group.size - counted))
    return t("feat.audit.sep").join(parts)
