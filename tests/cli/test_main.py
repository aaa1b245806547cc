"""The dispatcher: a run declares only its own command's options, --help declares all."""

from __future__ import annotations

import pytest

from galfriday_gitops.cli.main import COMMANDS, build_parser, requested_command


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["status"], "status"),
        (["-C", "repo", "show", "m"], "show"),
        (["--repo=repo", "--debug", "status", "--all"], "status"),
        (["-Crepo", "history", "m"], "history"),
        (["--help"], None),
        ([], None),
        (["nonsense"], None),
    ],
)
def test_the_command_is_found_past_the_global_options(argv: list[str], command: str | None) -> None:
    assert requested_command(argv) == command


def test_one_command_parses_as_with_every_command_declared() -> None:
    argv = ["-C", "x", "status", "--rev", "main", "--all", "--format", "json"]
    assert build_parser("status").parse_args(argv) == build_parser().parse_args(argv)
    help_text = build_parser().format_help()
    assert all(name in help_text for name in COMMANDS)
    assert "deprecate" not in build_parser("status").format_help()  # control
