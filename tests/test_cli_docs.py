"""Every command has help in Vietnamese and English with an example and is in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.cli_help import Option, halves

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))


COMMANDS = sorted(_commands(main))


def _command(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = main
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


def _name(path: tuple[str, ...]) -> str:
    return " ".join(("sohoa", *path))


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=_name)
def test_command_help_speaks_both_languages_with_an_example(path: tuple[str, ...]) -> None:
    vi = CliRunner(env={"SOHOA_LANG": "vi"}).invoke(main, [*path, "--help"])
    en = CliRunner(env={"SOHOA_LANG": "en"}).invoke(main, [*path, "--help"])
    assert vi.exit_code == 0 and en.exit_code == 0, vi.output + en.output
    assert "Ví dụ:" in vi.output and "Example:" not in vi.output
    assert "Example:" in en.output and "Ví dụ:" not in en.output
    assert "Tùy chọn:" in vi.output and "Options:" in en.output
    cmd = _command(path)
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert isinstance(param, Option), f"{param.opts} is a plain click option"
            text_vi, text_en = halves(param._both)
            assert text_vi and text_en and text_vi != text_en, f"{param.opts}: {param._both!r}"


@pytest.mark.parametrize("path", COMMANDS, ids=_name)
def test_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    first, *rest = path
    lines = [line for line in README.splitlines() if f"`sohoa {first}" in line]
    assert lines, f"sohoa {first} is not in the README"
    if rest:  # a subcommand: named on its group's line (`sohoa user add\|list\|set ...`)
        assert any(rest[-1] in line for line in lines), f"sohoa {' '.join(path)}"


def test_click_usage_errors_speak_the_readers_language() -> None:
    vi = CliRunner(env={"SOHOA_LANG": "vi"})
    en = CliRunner(env={"SOHOA_LANG": "en"})
    missing = ["export", "--dossier", "HS-1"]
    assert vi.invoke(main, missing).exit_code == 2
    assert "Lỗi: Thiếu tùy chọn '--to'." in vi.invoke(main, missing).output
    assert "Error: Missing option '--to'." in en.invoke(main, missing).output
    wrong = vi.invoke(main, ["search", "--limt", "3", "x"])
    assert wrong.exit_code == 2
    assert "Không có tùy chọn '--limt'. Có phải ý bạn là '--limit'?" in wrong.output
    assert "Cách dùng: " in wrong.output and "Xem 'main search --help' để biết" in wrong.output
    assert "No such option '--limt'" in en.invoke(main, ["search", "--limt", "3", "x"]).output
    bad = vi.invoke(main, ["show", "ba"])
    assert "Giá trị không hợp lệ cho 'DOC_ID': 'ba' không phải số hợp lệ" in bad.output


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["scripts/demo", "scripts/test"]


def test_the_readme_manifest_example_is_valid(tmp_path: Path) -> None:
    from pipeline.manifest import load_manifest

    example = README.split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "sohoa.toml").write_text(example, encoding="utf-8")
    manifest = load_manifest(tmp_path / "sohoa.toml")
    assert manifest.ho_so_code == "TU-BG.01.12.05"
    assert manifest.page_ranges["ho-so-0117.pdf"] == ((1, 3), (4, 9), (10, 10))
    assert manifest.page_ranges["hoso-07"] == ((1, 2), (3, 3), (4, 6))
