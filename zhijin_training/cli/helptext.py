"""The command line's help in the interface language.

Click prints the help while it parses the arguments, before any callback runs, so the language is decided
first (`help_language`) and the words of every command and option are swapped in on the built command tree
(`localise_commands`) — the command modules keep their English, the catalogues `locale/<lang>.clihelp.json`
hold the words: `clihelp.<command path>` for a command (`clihelp` alone for the program), then
`.<--first-long-option>` or `.<ARGUMENT>` for its parameters.

The en catalogue is the code's English (plus words where the code has none), written by
`scripts/clihelp_catalogue.py`; a test fails when the code's English and the catalogue part, so a changed or
new help text in a command module is a reminder to revisit its Chinese.

The framework's own words ("Usage:", "Options", "[required]", "Show this message and exit." …) come from
Typer's vendored Click, which has no gettext, and from `typer.rich_utils`, whose gettext strings are frozen
when it is imported. Both read them at render time from a formatter and module constants, so
`LocalisedContext` sets them when a help page or usage error is formatted — which is also the only time
`rich_utils` (a tenth of a second of imports) is loaded at all.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import typer
from rich.highlighter import Highlighter
from rich.text import Text
from typer._click.formatting import HelpFormatter  # typer vendors click: its formatter has no public name

from zhijin_training.i18n import get_lang, has_key, t

ROOT_KEY = "clihelp"
FRAMEWORK_PREFIX = "cliwords."

# typer.rich_utils constant -> catalogue key of its words
_RICH_WORDS = {
    "ARGUMENTS_PANEL_TITLE": "arguments",
    "OPTIONS_PANEL_TITLE": "options",
    "COMMANDS_PANEL_TITLE": "commands",
    "ERRORS_PANEL_TITLE": "error",
    "DEFAULT_STRING": "default",
    "REQUIRED_LONG_STRING": "required",
    "ENVVAR_STRING": "envvar",
    "DEPRECATED_STRING": "deprecated",
    "ABORTED_TEXT": "aborted",
    "RICH_HELP": "try_help",
}
_CODE_TEXT = "_zt_code_help"  # the attribute keeping a command's or parameter's own (English) text


def help_language(args: Sequence[str]) -> str:
    """The interface language for this command line, decided as the root callback will: `--lang` among the
    program's own options (before the command), else the settings (environment, config file, locale); a
    broken config file still gets a help page, in Chinese (the command itself then reports the error)."""
    given = _lang_argument(args)
    if given is not None:
        return "en" if given.lower().startswith("en") else "zh"
    from zhijin_training.cli_errors import user_error_types
    from zhijin_training.settings import load_settings

    try:
        return load_settings(None, None).lang
    except (*user_error_types(), OSError, ValueError):
        return "zh"


def _lang_argument(args: Sequence[str]) -> str | None:
    """The value of `--lang X` / `--lang=X` among the root options (--db X, --lang X, --demo, -h); the first
    other word is the command, and what follows it is the command's, not ours."""
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name == "--lang":
            if eq:
                return value
            return args[i + 1] if i + 1 < len(args) else None
        if name == "--db" and not eq:
            i += 2
            continue
        if not args[i].startswith("-") or args[i] == "--":
            return None
        i += 1
    return None


def walk_commands(root: Any) -> Iterator[tuple[str, Any]]:
    """Every command of the tree with its catalogue key, the program first, then depth first."""
    stack: list[tuple[str, Any]] = [(ROOT_KEY, root)]
    while stack:
        key, command = stack.pop(0)
        yield key, command
        children = getattr(command, "commands", {})
        stack[0:0] = [(f"{key}.{name}", child) for name, child in children.items()]


def parameter_key(command_key: str, param: Any) -> str:
    """`clihelp.sessions.add.--programme` for an option (its first long name), `….FILE` for an argument."""
    if isinstance(param, typer.core.TyperArgument):
        return f"{command_key}.{(param.name or '').upper()}"
    longs = [opt for opt in param.opts if opt.startswith("--")]
    return f"{command_key}.{(longs or param.opts)[0]}"


def code_help_texts(root: Any) -> dict[str, str]:
    """The English the command modules give each command and parameter ('' where they give none), by key:
    what en.clihelp.json is made from. Call it on a tree not yet localised (typer.main.get_command(app))."""
    texts: dict[str, str] = {}
    for key, command in walk_commands(root):
        texts[key] = getattr(command, _CODE_TEXT, (command.help or command.short_help,))[0] or ""
        for param in command.params:
            code = getattr(param, _CODE_TEXT, (getattr(param, "help", None),))[0]
            texts[parameter_key(key, param)] = code or ""
    return texts


def localise_commands(root: Any, lang: str) -> None:
    """Give every command and parameter of the tree its help in `lang` (idempotent: the code's own text is
    kept aside on first use, so switching languages in one process — the tests — works both ways)."""
    for key, command in walk_commands(root):
        code_help, code_short = _code_text(command, (command.help, command.short_help))
        words = _words(key, lang, code_help)
        command.help = words
        command.short_help = code_short if lang == "en" or not words else None
        command.context_class = LocalisedContext
        _localise_metavars(command, lang)
        for param in command.params:
            (code_param_help,) = _code_text(param, (getattr(param, "help", None),))
            if hasattr(param, "help"):
                param.help = _words(parameter_key(key, param), lang, code_param_help)


_DEFAULT_METAVARS = {"options_metavar": "[OPTIONS]", "subcommand_metavar": "COMMAND [ARGS]..."}


def _localise_metavars(command: Any, lang: str) -> None:
    """The usage line's "[OPTIONS]" and "COMMAND [ARGS]..." (a command's own metavar is left alone)."""
    for attribute, default in _DEFAULT_METAVARS.items():
        if getattr(command, attribute, None) in (default, t(f"{FRAMEWORK_PREFIX}{attribute}", "zh")):
            setattr(command, attribute, t(f"{FRAMEWORK_PREFIX}{attribute}", lang))


def _code_text(obj: Any, current: tuple[str | None, ...]) -> tuple[str | None, ...]:
    if not hasattr(obj, _CODE_TEXT):
        setattr(obj, _CODE_TEXT, current)
    return getattr(obj, _CODE_TEXT)


def _words(key: str, lang: str, code_text: str | None) -> str | None:
    # a command or option the catalogues don't know yet keeps the code's text (tests/cli/test_cli_help.py fails)
    return t(key, lang) if has_key(key, lang) else code_text


def framework_words(lang: str | None = None) -> dict[str, str]:
    """Typer's and Click's own words of a help page, by rich_utils constant name (plus usage / help_option)."""
    words = {name: t(FRAMEWORK_PREFIX + key, lang) for name, key in _RICH_WORDS.items()}
    words["usage"] = t(FRAMEWORK_PREFIX + "usage", lang)
    words["help_option"] = t(FRAMEWORK_PREFIX + "help_option", lang)
    return words


class FoldingHighlighter(Highlighter):
    """rich_utils' highlighter, and every help text passes through it: also let the text fold. Rich wraps at
    spaces and, in a table cell, cuts a longer "word" with an ellipsis — and a Chinese sentence is one word.
    Folding breaks it between characters instead; English (short words) wraps exactly as before."""

    def __init__(self, inner: Highlighter) -> None:
        self.inner = inner

    def highlight(self, text: Text) -> None:
        self.inner.highlight(text)
        text.overflow = "fold"


def _prepare_highlighter(rich_utils: Any, usage: str) -> None:
    """Fold help texts, and colour the localised "Usage:" as rich_utils colours its own. The pattern goes on
    the highlighter instance itself: the usage line of the first page is highlighted by the instance looked up
    before this runs."""
    current = rich_utils.highlighter
    inner = current.inner if isinstance(current, FoldingHighlighter) else current
    inner.highlights = [*type(inner).highlights, rf"^(?P<usage>{re.escape(usage)})"]
    if not isinstance(current, FoldingHighlighter):
        rich_utils.highlighter = FoldingHighlighter(inner)


class LocalisedHelpFormatter(HelpFormatter):
    """Click's formatter with "Usage:" in the interface language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, framework_words()["usage"] if prefix is None else prefix)


class LocalisedContext(typer.Context):
    """Every help page and usage error asks its context for a formatter first: that is the moment to put the
    framework's words of the interface language in place (rich_utils is imported by then)."""

    formatter_class = LocalisedHelpFormatter

    def make_formatter(self) -> HelpFormatter:
        words = framework_words(get_lang())
        rich_utils = sys.modules.get("typer.rich_utils")
        if rich_utils is not None:
            for name in _RICH_WORDS:
                setattr(rich_utils, name, words[name])
            _prepare_highlighter(rich_utils, words["usage"])
        help_option = self.command.get_help_option(self)
        if help_option is not None:
            help_option.help = words["help_option"]
        return super().make_formatter()
