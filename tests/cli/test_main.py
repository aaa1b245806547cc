"""The dispatcher: a run declares only its own command's options, --help declares all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from galfriday_gitops.cli.main import COMMANDS, build_parser, requested_command
from tests.support.cli import gfops
from tests.support.repo import Repo


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


def _plugin_distribution(where: Path) -> None:
    """An installed distribution registering a pydantic plugin that records being loaded."""
    info = where / "spyplugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spyplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spyplugin:plugin\n")
    (where / "spyplugin.py").write_text(
        "import os, pathlib\n"
        "pathlib.Path(os.environ['SPY_MARKER']).write_text('loaded')\n"
        "class _Spy:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = _Spy()\n"
    )


def test_validation_loads_no_pydantic_plugin_unless_asked(repo: Repo, tmp_path: Path) -> None:
    """A package in the environment that registers a pydantic plugin does not get its code
    run by gfops's validation; PYDANTIC_DISABLE_PLUGINS set by the user (empty: load them)
    is honoured."""
    _plugin_distribution(tmp_path / "site")
    marker = tmp_path / "loaded"
    path = os.pathsep.join(p for p in (str(tmp_path / "site"), os.environ.get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": path, "SPY_MARKER": str(marker)}
    assert gfops("validate", cwd=repo.path, env=env).code == 0
    assert not marker.exists()
    # Control: the user asks for plugins; the same run loads this one.
    opted_in = gfops("validate", cwd=repo.path, env={**env, "PYDANTIC_DISABLE_PLUGINS": ""})
    assert opted_in.code == 0, opted_in.err
    assert marker.read_text() == "loaded"
