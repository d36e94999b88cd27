"""Docs are tested: every CLI command has help and appears in the README; the README's set-up
commands are Makefile targets and .ci/run runs the README's test command."""
import re
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parent.parent
from govsearch.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


def test_cli_has_the_design_commands():
    assert {"ingest", "index", "search", "answer", "serve", "eval"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command):
    out = subprocess.run([sys.executable, "-m", "govsearch.cli", command, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage:" in out.stdout
    assert f"govsearch {command}" in README


def test_readme_setup_commands_are_make_targets_and_ci_runs_the_test_one():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    setup = re.search(r"```sh\n(make \w+).*\n(make \w+)", README)
    assert setup, "the README opens with the two set-up commands"
    for cmd in setup.groups():
        assert re.search(rf"^{cmd.split()[1]}:", makefile, re.M), cmd
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
