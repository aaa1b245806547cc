"""`gfops status` end to end: a canary's traffic share beside its version in the grid and in
the JSON, never in GTO's shape, and gone once the canary reaches production."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

from tests.support.cli import gfops, imported_top_level
from tests.support.docs import README, fenced_block
from tests.support.repo import Repo

MODEL = "price-direction"


def _grid(repo: Repo, *args: str) -> dict[str, dict[str, str]]:
    """The text grid as model -> column -> cell, cut at the header's column offsets (a cell
    may hold spaces: ``1.2.0 (10%)``)."""
    result = gfops("status", *args, cwd=repo.path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    columns = [(m[0], m.start()) for m in re.finditer(r"\S+", lines[1])]
    bounds = [
        (name, start, end)
        for (name, start), (_, end) in zip(columns, [*columns[1:], ("", None)], strict=True)
    ]
    rows = {}
    for line in lines[3:]:
        if line.startswith("warning: ") or line.endswith("run gfops validate"):
            continue
        row = {name: line[start:end].strip() for name, start, end in bounds}
        rows[row["model"]] = row
    return rows


def _status(repo: Repo, fmt: str) -> Any:
    result = gfops("status", "--format", fmt, cwd=repo.path)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _merge(repo: Repo, version: str, stage: str) -> None:
    branch = f"galfriday/promote/{MODEL}-{version}-{stage}"
    repo.git("merge", "-q", "--no-ff", "-m", f"{MODEL} {version} to {stage}", branch)


def test_the_canary_share_is_shown_until_the_canary_reaches_production(repo: Repo) -> None:
    promoted = gfops("promote", MODEL, "1.2.0", "canary", "--traffic", "10", cwd=repo.path)
    assert promoted.code == 0, promoted.err
    assert _grid(repo)[MODEL]["staging"] == "1.2.0"  # not merged yet: main is unchanged
    _merge(repo, "1.2.0", "canary")

    row = _grid(repo)[MODEL]
    assert (row["production"], row["canary"], row["staging"]) == ("1.1.0", "1.2.0 (10%)", "")
    # The README shows this very grid (its first line names a commit of its own).
    shown_in_readme = fenced_block(README, "`gfops status` shows the name", "text").splitlines()
    assert shown_in_readme[0] == "$ gfops status"
    assert gfops("status", cwd=repo.path).out.splitlines()[1:] == shown_in_readme[2:]
    assert _grid(repo, "--worktree")[MODEL] == row
    shown = _status(repo, "json")
    assert shown["trafficPercent"] == {MODEL: {"1.2.0": 10}}
    # What consumers of the JSON read is unchanged: the field is an addition.
    assert list(shown) == ["rev", "models", "errors", "warnings", "trafficPercent"]
    assert shown["models"][MODEL] == {
        "deprecated": ["1.0.0"],
        "production": ["1.1.0"],
        "canary": ["1.2.0"],
    }
    # GTO's shape carries no share (the JSON above is the control that there is one).
    gto = _status(repo, "gto")
    assert gto[MODEL]["stage"]["canary"] == "v1.2.0"
    assert set(gto[MODEL]) == {"version", "stage", "registered", "active"}
    assert "10" not in json.dumps(gto) and "traffic" not in json.dumps(gto)

    # A ramp is shown as merged.
    ramp = gfops("promote", MODEL, "1.2.0", "canary", "--traffic", "25.5", cwd=repo.path)
    assert ramp.code == 0, ramp.err
    _merge(repo, "1.2.0", "canary")
    assert _grid(repo)[MODEL]["canary"] == "1.2.0 (25.5%)"

    to_production = gfops("promote", MODEL, "1.2.0", "production", cwd=repo.path)
    assert to_production.code == 0, to_production.err
    _merge(repo, "1.2.0", "production")
    row = _grid(repo)[MODEL]
    assert (row["production"], row["canary"]) == ("1.2.0", "")
    assert "%" not in gfops("status", cwd=repo.path).out
    assert _status(repo, "json")["trafficPercent"] == {}
    assert "trafficPercent" not in repo.read(f"models/{MODEL}/1.2.0.yaml")  # cleared, not hidden


def test_a_warm_status_or_show_imports_no_yaml_parser_and_no_schema(repo: Repo) -> None:
    """Once main's files are cached, `status` and `show` answer from the cached index and
    validated data: neither PyYAML nor pydantic is imported (together ~0.1 s of start-up)."""
    shutil.rmtree(repo.path / ".git" / "galfriday", ignore_errors=True)
    # Controls: a cold `show` parses its model's files and validates them.
    assert {"yaml", "pydantic"} <= imported_top_level("show", MODEL, cwd=repo.path)
    assert gfops("status", cwd=repo.path).code == 0  # the rest of main's files, cached
    for args in (("status",), ("status", "--format", "json"), ("show", MODEL)):
        warm = imported_top_level(*args, cwd=repo.path)
        assert "galfriday_gitops" in warm, args
        assert not {"yaml", "pydantic"} & warm, args


def test_the_gto_config_is_read_through_the_safe_loader(repo: Repo) -> None:
    """`.gto` (whose stages are the columns of `--format gto`) gets the loader every
    registry file gets: an alias is refused with the file, line and rule, not expanded."""
    (repo.path / ".gto").write_text("stages: &all [production, staging]\ntype_allowed: *all\n")
    refused = gfops("status", "--format", "gto", cwd=repo.path)
    assert refused.code == 2 and refused.out == "", refused.err
    assert ".gto:1:" in refused.err and "[GF102]" in refused.err
    assert "Traceback" not in refused.err
    # Controls: without .gto the held stages are the columns; with a plain one, its stages.
    (repo.path / ".gto").unlink()
    assert {"production", "staging"} < set(_status(repo, "gto")[MODEL]["stage"])
    (repo.path / ".gto").write_text("stages: [production]\n")
    assert set(_status(repo, "gto")[MODEL]["stage"]) == {"production"}
