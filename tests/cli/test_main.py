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


def test_the_cli_collects_cycles_in_larger_batches_and_never_more_often() -> None:
    """`collect_less` raises the collector's first threshold for a short CLI run (a tenth of
    a 10,000-manifest check was the collector walking the loaded registry) and never lowers
    a threshold someone set higher."""
    import gc

    from galfriday_gitops.cli.main import collect_less

    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # CPython's defaults
        collect_less()
        assert gc.get_threshold() == (50_000, 10, 10)
        gc.set_threshold(200_000, 30, 40)  # control: higher already, kept as it is
        collect_less()
        assert gc.get_threshold() == (200_000, 30, 40)
    finally:
        gc.set_threshold(*saved)
