"""Every command has help with an example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_has_help_with_an_example_and_a_readme_entry(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"`sohoa {name}" in README


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
