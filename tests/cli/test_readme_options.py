"""The README's table of common options says what each command really takes."""

from __future__ import annotations

import re
from pathlib import Path

from loiter.cli import cli

README = Path(__file__).parents[2] / "README.md"


def test_the_options_table_matches_the_commands() -> None:
    text = README.read_text()
    start = text.index("| option | `run` |")
    lines = text[start:].split("\n\n")[0].splitlines()
    commands = re.findall(r"`([a-z]+)`", lines[0])
    assert set(commands) == set(cli.commands), "every command has a column"
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        options = re.findall(r"`(--[a-z-]+)`", cells[0])
        for command, cell in zip(commands, cells[1:], strict=True):
            names = {n for p in cli.commands[command].params for n in getattr(p, "opts", [])}
            assert (cell == "✓") == all(o in names for o in options), (command, options)
