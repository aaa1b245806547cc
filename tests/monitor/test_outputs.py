"""Every output of ``gfops drift`` read by a real parser: strict JSON (no NaN/Infinity),
and a crafted column and category name that stays inert in each of text, GitHub
annotations, Markdown and HTML, with a positive control per output."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from tests.monitor.conftest import MODEL, DriftRegistry
from tests.support.cli import gfops

EVIL = "x\n::error file=a,line=1::pwned <img src=x onerror=alert(1)> | `t` [l](http://e)\x1b[31m"
EVIL_CATEGORY = "<script>alert(1)</script>\n::warning::c"


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity (RFC 8259 has neither)."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_the_strict_parser_refuses_what_python_json_prints() -> None:
    # Positive control: Python's json writes these by default and reads them back.
    with pytest.raises(ValueError, match="Infinity"):
        strict_json(json.dumps({"w": float("inf")}))
    with pytest.raises(ValueError, match="NaN"):
        strict_json(json.dumps([float("nan")]))


@pytest.fixture
def evil_files(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 2000

    def frame(shift: float, categories: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                EVIL: rng.normal(shift, 1.0, n),
                "calm": rng.normal(size=n),
                "venue": rng.choice(categories, n),
            }
        )

    frame(0.0, ["a", "b"]).to_parquet(tmp_path / "ref.parquet")
    frame(1.0, ["a", "b", EVIL_CATEGORY]).to_parquet(tmp_path / "cur.parquet")
    pd.DataFrame({EVIL: [1.0], "calm": [1.0], "venue": ["a"]}).to_parquet(tmp_path / "one.parquet")
    huge = frame(1.0, ["a", "b"])
    huge[EVIL] *= 1e200
    huge.to_parquet(tmp_path / "huge_cur.parquet")
    ref = frame(0.0, ["a", "b"])
    ref[EVIL] *= 1e200
    ref.to_parquet(tmp_path / "huge_ref.parquet")
    return tmp_path


def _drift(cwd: Path, *args: str) -> tuple[int, str]:
    res = gfops("drift", *args, cwd=cwd)
    assert res.code in (0, 1), res.err
    return res.code, res.out


@pytest.mark.parametrize(
    ("reference", "current", "code"),
    [
        ("ref.parquet", "cur.parquet", 1),
        ("ref.parquet", "one.parquet", 0),  # insufficient data everywhere
        ("huge_ref.parquet", "huge_cur.parquet", 1),  # 1e200 values
    ],
)
def test_every_ad_hoc_json_output_is_strict_json(
    evil_files: Path, reference: str, current: str, code: int
) -> None:
    got, out = _drift(
        evil_files, "--reference", reference, "--current", current, "--format", "json"
    )
    assert got == code
    doc = strict_json(out)
    assert EVIL in doc["features"]  # the name, byte for byte, as a JSON key
    if current == "one.parquet":
        assert doc["verdict"] == "insufficient data"
        assert doc["features"][EVIL]["status"] == "insufficient data"
    if reference.startswith("huge"):
        w = doc["features"][EVIL]["effect_sizes"]["wasserstein"]
        assert w["value"] == pytest.approx(1.0, abs=0.15)  # a 1 sd shift, at any scale


def test_policy_json_outputs_are_strict_json(drift_registry: DriftRegistry) -> None:
    for args in (("--model", MODEL), ("--all",)):
        res = gfops("drift", *args, "--format", "json", cwd=drift_registry.path)
        assert res.code == 1, res.err
        doc = strict_json(res.out)
        run = doc if "--model" in args else doc["models"][MODEL]
        assert run["error_stream"]["detectors"] and run["multivariate"]


def _workflow_commands(text: str) -> list[str]:
    """Lines a GitHub runner would execute as workflow commands (it trims leading space)."""
    return [line.lstrip() for line in text.splitlines() if line.lstrip().startswith("::")]


def test_text_output_cannot_start_a_workflow_command(evil_files: Path) -> None:
    _, out = _drift(evil_files, "--reference", "ref.parquet", "--current", "cur.parquet")
    assert _workflow_commands(out) == []
    assert repr(EVIL) in out  # shown as a quoted literal, newline and escape visible
    assert "\x1b" not in out
    # Positive control: the same table with the raw name would carry a command.
    assert _workflow_commands(out.replace(repr(EVIL), EVIL)) != []


def test_github_annotations_carry_only_our_commands(evil_files: Path) -> None:
    args = ("--reference", "ref.parquet", "--current", "cur.parquet", "--format", "github")
    _, out = _drift(evil_files, *args)
    commands = _workflow_commands(out)
    assert len(commands) == len(out.splitlines())  # every line is one of ours ...
    assert all(
        c.startswith(("::warning title=drift%3A ad hoc::", "::error title=")) for c in commands
    )
    drifted = [c for c in commands if "pwned" in c]
    assert len(drifted) == 1 and drifted[0].startswith("::warning")
    assert "%0A::error file=a" in drifted[0]  # ... the name's newline encoded
    assert "\x1b" not in out and "\\x1b" in drifted[0]
    # Positive control: unencoded, the name would add a command of its own.
    assert len(_workflow_commands(drifted[0].replace("%0A", "\n"))) == 2


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def test_markdown_and_html_reports_keep_names_as_text(evil_files: Path) -> None:
    args = ("--reference", "ref.parquet", "--current", "cur.parquet", "--report", "out")
    _drift(evil_files, *args)
    md = (evil_files / "out" / "drift.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    inline = [child for t in tokens if t.children for child in t.children]
    kinds = {t.type for t in tokens} | {c.type for c in inline}
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}
    code = [c.content for c in inline if c.type == "code_inline"]
    assert any(EVIL.split("\n")[0] in c and "\\x0a" in c for c in code)  # newline shown, not kept
    assert any("<script>" in c for c in code)  # the category, as code text
    # Positive control: the raw name in a table cell makes a link and inline HTML.
    one_line = EVIL.replace("\n", " ").replace("|", "")
    raw = MarkdownIt("commonmark").enable("table").parse(f"| a |\n|---|\n| {one_line} |\n")
    raw_kinds = {c.type for t in raw if t.children for c in t.children}
    assert {"link_open", "html_inline"} <= raw_kinds

    page = (evil_files / "out" / "drift.html").read_text(encoding="utf-8")
    found = _elements(page)
    assert "img" not in found.tags and "script" not in found.tags
    assert "onerror" not in found.attributes
    assert any("<script>alert(1)</script>" in t for t in found.text)  # shown, not run
    assert any("<img src=x onerror=alert(1)>" in t for t in found.text)
    # Positive control: the same parser sees the tags when they are not escaped.
    assert {"img", "script"} <= set(_elements(f"<p>{EVIL} {EVIL_CATEGORY}</p>").tags)
