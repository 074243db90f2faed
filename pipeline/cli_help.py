"""The `sohoa` help in Vietnamese and English, picked when it is shown, not when it is written.

Click reads help strings when the module is imported, long before anyone asks for `--help`
in one language or the other (SOHOA_LANG, or a test switching it). So every help text keeps
both forms, Vietnamese first, and the command and option classes here pick one each time the
help is formatted:

- a command's help is its docstring, the Vietnamese text, a line `---`, the English text;
- an option's help is `bilingual("...", "...")` (the same two halves, joined the same way).

Click's own words (Usage, Options, Missing option, No such option, ...) go through gettext;
`_speak_click` hands them a small catalogue instead, so they follow `sohoa.i18n.lang()` too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from sohoa.i18n import lang, t

DIVIDER = "\n---\n"
"""What separates the Vietnamese half of a help text from the English one."""

F = TypeVar("F", bound=Callable[..., Any])


def bilingual(vi: str, en: str) -> str:
    """One help text holding both languages, for `option(help=...)`."""
    return f"{vi}{DIVIDER}{en}"


def pick(text: str | None) -> str | None:
    """The half of `text` the reader speaks; a text with one half is shown as it is."""
    if text is None:
        return None
    vi, divided, en = inspect.cleandoc(text).partition(DIVIDER)
    return (en if lang() == "en" else vi).strip() if divided else text


def halves(text: str | None) -> tuple[str, str]:
    """Both halves of a help text (Vietnamese, English), for tests and the README check."""
    vi, _, en = inspect.cleandoc(text or "").partition(DIVIDER)
    return vi.strip(), en.strip()


class _Bilingual:
    """`help` picked per reader; what click stores is the two-language text."""

    _both: str | None = None

    @property
    def help(self) -> str | None:
        return pick(self._both)

    @help.setter
    def help(self, value: str | None) -> None:
        self._both = value


class Option(_Bilingual, click.Option):
    pass


class _Commanding(_Bilingual):
    @property
    def help(self) -> str | None:
        # Examples are commands to copy: kept as written, not rewrapped (click's \b paragraph).
        text = pick(self._both)
        if text is None:
            return None
        return "\n\n".join(
            f"\b\n{p}" if p.startswith(("Ví dụ:", "Example:")) else p for p in text.split("\n\n")
        )

    @help.setter
    def help(self, value: str | None) -> None:
        self._both = value

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # Click makes the help option once per command: its text is set at each use instead.
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = t("Hiện trợ giúp này rồi thoát.", "Show this message and exit.")
        return option


class Command(_Commanding, click.Command):
    pass


class Group(_Commanding, click.Group):
    command_class = Command
    group_class = type  # subgroups are of this class too


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Command]:
    """`click.command` making a `Command` (bilingual help)."""
    return click.command(*args, cls=Command, **kwargs)


def group(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Group]:
    """`click.group` making a `Group` (bilingual help; its commands are bilingual too)."""
    return click.group(*args, cls=Group, **kwargs)


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """`click.option` making an `Option` (help from `bilingual`)."""
    return click.option(*decls, cls=Option, **attrs)


# -- click's own words -------------------------------------------------------------------------

VI = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Đối số",
    "Show this message and exit.": "Hiện trợ giúp này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem '{command} {option}' để biết cách dùng.",
    "Missing argument": "Thiếu đối số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing command.": "Thiếu lệnh.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Got unexpected extra argument ({args})": "Thừa đối số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các đối số ({args})",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải số hợp lệ ({number_type}).",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng {range}.",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không phải một trong {choices}.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} does not match the format {format}.": "{value!r} không đúng dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng dạng {formats}.",
    "{name} {filename!r} does not exist.": "Không có {filename!r}.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục.",
    "default: {default}": "mặc định: {default}",
    "required": "bắt buộc",
    "env var: {var}": "biến môi trường: {var}",
    "Aborted!": "Đã hủy!",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai lần nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: nhập không hợp lệ",
}
"""Click's messages that a sohoa user meets, in Vietnamese; the rest stay in English."""


def _gettext(message: str) -> str:
    return VI.get(message, message) if lang() == "vi" else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@functools.cache
def _speak_click() -> None:
    """Give click's modules the catalogue in place of gettext (they call it when a message is
    shown, so the reader's language at that moment wins). Click marks its strings with the
    `_` and `ngettext` names it imports from gettext; should a release rename them, its
    messages simply stay in English, which the CLI tests would catch."""
    modules = (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
               click.termui, click.types)  # fmt: skip
    for module in modules:
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]


_speak_click()
