"""The one way a screen runs a service call: in a thread worker, result or error back on the UI thread.

    run_call(self, lambda: roster.add_cadre(ctx, ...), done=self._added, failed=self._refused, tag="save")

- the call runs in a thread worker owned by `owner` (a worker never touches a widget);
- `done(result)` / `failed(exc)` run on the UI thread; a newer call with the same `tag` on the same owner
  makes older results stale: they are dropped, so a slow search never overwrites a newer one;
- a ScheduleWarning with `forced` given (the same call with force=True) asks 仍然保存 / 返回修改 and runs
  `forced` when told to (forms use their own three-way question, see dialogs.FormDialog);
- a ConflictError says who changed the record and when, then `on_conflict()` (typically: reload);
- any other error is worded by `explain` (errors.describe for domain errors) and shown as one notification,
  unless `failed` takes it. Never a traceback.

Screens mix in `Calls` for `self.run_service(call, done, ...)` and the tag style
`self.call_service("sheet", fn, *args)` which hands the result to `done_sheet` (errors to `failed_sheet`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from zhijin_training.i18n import t
from zhijin_training.textsafe import printable

T = TypeVar("T")


def explain(exc: BaseException) -> tuple[str, str]:
    """(title, text) of any error a worker caught, in the interface language."""
    from zhijin_training.services.errors import DomainError, describe

    if isinstance(exc, DomainError) or getattr(exc, "code", None):
        title, text = describe(exc)
        return title, printable(text)
    text = str(exc).splitlines()[0] if str(exc) else ""
    if type(exc).__name__ == "OperationalError" and "locked" in text.lower():
        return t("err.busy"), t("err.locked")
    if type(exc).__name__ == "DateParseError":
        return t("err.invalid"), printable(text)
    return t("err.unexpected"), t("common.err.unexpected", kind=type(exc).__name__, msg=printable(text)[:200])


def report_error(node: Any, exc: BaseException) -> None:
    """One notification for an error (logged too when it was not a domain error)."""
    from zhijin_training.services.errors import DomainError

    title, text = explain(exc)
    if not isinstance(exc, DomainError):
        with contextlib.suppress(Exception):
            node.log.error(repr(exc))
    node.notify(text, title=title, severity="error", timeout=8, markup=False)


def _tokens(owner: Any) -> dict[str, int]:
    return owner.__dict__.setdefault("_kit_call_tokens", {})


def run_call(
    owner: Any,
    call: Callable[[], T],
    done: Callable[[T], Any] | None = None,
    *,
    tag: str | None = None,
    failed: Callable[[BaseException], Any] | None = None,
    forced: Callable[[], T] | None = None,
    on_conflict: Callable[[], Any] | None = None,
) -> int:
    """Run `call` in a thread worker owned by `owner` (a widget or screen); see the module docstring.

    Without a `tag` the call stands alone (its result is never dropped); with one, only the latest call of
    that tag is delivered. Returns the call's token.
    """
    tokens = _tokens(owner)
    if tag is None:
        tokens["#once"] = once = tokens.get("#once", 0) + 1
        tag = f"#once-{once}"
    tokens[tag] = token = tokens.get(tag, 0) + 1
    app = owner.app

    def deliver(result: Any, error: BaseException | None) -> None:
        if _tokens(owner).get(tag) != token:
            return  # a newer call of the same kind was made meanwhile
        if error is None:
            if done is not None:
                done(result)
            return
        _handle_error(owner, error, failed=failed, forced=forced, done=done, on_conflict=on_conflict, tag=tag)

    def work() -> None:
        try:
            result = call()
        except Exception as exc:  # every failure becomes a message in the interface
            back: tuple[Any, BaseException | None] = (None, exc)
        else:
            back = (result, None)
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody left to tell
            app.call_from_thread(deliver, *back)

    owner.run_worker(
        work,
        thread=True,
        group="call-once" if tag.startswith("#once") else f"call-{tag}",
        exit_on_error=False,
    )
    return token


def _handle_error(
    owner: Any,
    exc: BaseException,
    *,
    failed: Callable[[BaseException], Any] | None,
    forced: Callable[[], Any] | None,
    done: Callable[[Any], Any] | None,
    on_conflict: Callable[[], Any] | None,
    tag: str,
) -> None:
    from zhijin_training.services.errors import ConflictError
    from zhijin_training.services.schedule import ScheduleWarning

    if isinstance(exc, ScheduleWarning) and forced is not None:
        from zhijin_training.tui.kit.dialogs import Choice, warning_text

        def answered(choice: str | None) -> None:
            if choice == "save":
                run_call(owner, forced, done, tag=tag, failed=failed, on_conflict=on_conflict)

        owner.app.push_screen(
            Choice(
                t("warn.title"),
                [("save", t("kit.warn.save_anyway")), ("back", t("kit.warn.back"))],
                message=warning_text(exc),
            ),
            answered,
        )
        return
    if failed is not None:
        failed(exc)
        return
    report_error(owner, exc)
    if isinstance(exc, ConflictError) and on_conflict is not None:
        on_conflict()


class Calls:
    """Mixin for screens and dialogs: service calls through `run_call`."""

    def run_service(
        self, call: Callable[[], T], done: Callable[[T], Any] | None = None, **kwargs: Any
    ) -> int:
        kwargs.pop("exclusive", None)  # stale results are dropped by token; nothing else to cancel
        if "on_error" in kwargs:  # the older name
            kwargs["failed"] = kwargs.pop("on_error")
        if "group" in kwargs:
            kwargs["tag"] = kwargs.pop("group")
        return run_call(self, call, done, **kwargs)

    def call_service(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """`fn(*args, **kwargs)` in a worker; its result to `done_<tag>`, its error to `failed_<tag>`."""

        def done(result: Any) -> None:
            handler = getattr(self, f"done_{tag}", None)
            if handler is not None:
                handler(result)

        def failed(exc: BaseException) -> None:
            handler = getattr(self, f"failed_{tag}", None)
            if handler is not None:
                handler(exc)
            else:
                self.show_error(exc)

        return run_call(self, functools.partial(fn, *args, **kwargs), done, tag=f"tag-{tag}", failed=failed)

    def show_error(self, exc: BaseException) -> None:
        report_error(self, exc)

    def show_info(self, text: str) -> None:
        self.notify(text, markup=False, timeout=5)  # type: ignore[attr-defined]
