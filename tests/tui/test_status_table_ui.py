"""The interface takes its attendance statuses from the one status table (enums.STATUS_SPECS): keys, styles,
report columns. A status added to the table appears on the attendance screen and in the reports by itself."""

from __future__ import annotations

from zhijin_training.enums import STATUS_SPECS
from zhijin_training.tui.screens import attendance, ops_common, reports


def test_attendance_keys_come_from_the_status_table() -> None:
    bound = {k.id: k for k in attendance.AttendanceScreen.KEYS}
    for spec in STATUS_SPECS:
        key = bound[f"attendance.{spec.value}"]
        assert key.keys == spec.key and key.action == f"mark('{spec.value}')"
    assert {spec.key: spec.value for spec in STATUS_SPECS} == attendance.STATUS_KEYS


def test_styles_and_report_columns_come_from_the_status_table() -> None:
    assert {k for k in ops_common.STATUS_STYLES if k} == {spec.value for spec in STATUS_SPECS}
    assert all(ops_common.STATUS_STYLES[spec.value] == spec.style for spec in STATUS_SPECS)
    assert ("expected", *(spec.value for spec in STATUS_SPECS)) == reports.COUNT_FIELDS


def test_every_status_has_words_in_both_languages() -> None:
    from zhijin_training.i18n import has_key, set_lang

    try:
        for lang in ("zh", "en"):
            set_lang(lang)
            for spec in STATUS_SPECS:
                assert has_key(f"status.{spec.value}", lang)
                assert not ops_common.short_status(spec.value).startswith("common.")
    finally:
        set_lang("zh")
