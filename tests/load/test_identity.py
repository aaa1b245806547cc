"""The line reader of a manifest's identity and canary share: it agrees with YAML whenever
it answers, and declines (None: parse in full) whenever a layout could make it read the
wrong line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galfriday_gitops.load.identity import Identity, identity_and_traffic, identity_of
from galfriday_gitops.load.safe_yaml import YamlError, load
from galfriday_gitops.stages import ModelStage
from tests.support.factories import manifest
from tests.support.repo import ROOT

PLAIN = manifest("churn", "1.2.0", "canary")
SHARED = manifest("churn", "1.2.0", "canary", traffic=10)  # as promote --traffic 10 writes it
OURS = sorted((ROOT / "models").glob("*/*.yaml"))


def _yaml_identity(data: Any) -> Identity | None:
    try:
        meta, spec = data["metadata"], data["spec"]
        found = (data["kind"], meta["name"], meta["version"], spec["stage"])
    except (KeyError, TypeError):
        return None
    return found if all(isinstance(v, str) for v in found) else None


def _yaml_share(data: Any) -> object:
    """spec.rollout.trafficPercent as YAML reads it; a rollout that is no mapping as itself
    (which no share the reader gives can equal)."""
    rollout = data["spec"].get("rollout")
    share = rollout.get("trafficPercent") if isinstance(rollout, dict) else rollout
    return repr(share) if isinstance(share, bool) else share  # True == 1.0 in Python


def _yaml_reading(data: Any) -> tuple[Identity, object] | None:
    identity = _yaml_identity(data)
    return (identity, _yaml_share(data)) if identity is not None else None


def _agrees_with_yaml(text: str) -> None:
    """When the reader answers and YAML can read the file, they read the same five values."""
    got = identity_and_traffic(text.encode())
    assert identity_of(text.encode()) == (got[0] if got is not None else None)
    if got is None:
        return
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)  # duplicates: the last one wins
    except (yaml.YAMLError, ValueError):  # ValueError: an impossible date
        return  # not YAML at all: status may show it, validate refuses it
    assert _yaml_reading(data) == got, text
    try:
        strict = load(text.encode()).data
    except YamlError:
        return
    assert _yaml_reading(strict) == got


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.name)
def test_reads_this_repositorys_manifests(path: Path) -> None:
    data = load(path.read_bytes()).data
    assert identity_and_traffic(path.read_bytes()) == _yaml_reading(data) is not None


@pytest.mark.parametrize(
    "text",
    [
        PLAIN,
        PLAIN.replace("stage: canary", "stage: 'canary'"),
        PLAIN.replace("stage: canary", 'stage: "canary"   # quoted'),
        PLAIN.replace("\n  ", "\n    "),  # four-space indentation
        PLAIN.replace("name: churn", "name: churn  # the model"),
        PLAIN.replace("  labels: {team: quant}", "  description: |\n    stage: production\n"),
        PLAIN.replace("  features: [spread_bps, imbalance_l5]", "  features:\n  - a\n  - b"),
    ],
    ids=["plain", "single-quoted", "double-quoted", "indent-4", "comment", "block", "compact"],
)
def test_layouts_it_reads(text: str) -> None:
    assert identity_of(text.encode()) == ("ModelVersion", "churn", "1.2.0", "canary")
    _agrees_with_yaml(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("metadata:\n  name: churn\n  version: 1.2.0", "metadata: {name: churn, version: 1.2.0}"),
        ("stage: canary", "stage: &s canary"),
        ("stage: canary", "stage: !!str canary"),
        ("stage: canary          #", "stage: canary\n  stage: production  #"),  # duplicate
        ("stage: canary          #", 'stage: canary\n  "stage": production  #'),  # quoted dup
        ("stage: canary          #", "stage: canary\n  ? stage\n  : production  #"),
        ("spec:\n", 'spec:\n  target: "x\n  stage: production"\n'),  # multi-line string
        ("spec:\n", "spec:\n  features: [a, # comment ]\n  stage: production]\n"),
        ("spec:\n", "spec:\n  features:\n    [a,\n  stage: production]\n"),
        ("kind: ModelVersion", "kind: ModelVersion\nkind: ModelVersion"),
        ("kind: ModelVersion", "kind: Model\n  Version"),
        ("apiVersion", "---\napiVersion"),
        ("stage: canary", "stage:\tcanary"),
        ("stage: canary", "stage: prodution"),
        ("stage: canary", "stage: Canary"),
        ("name: churn", "name: yes"),  # YAML 1.1: a boolean
        ("name: churn", "name: 2026-01-01"),  # a date
        ("name: churn", "name: 12"),  # an integer
        ("version: 1.2.0", "version: 1.2"),  # a float, and no SemVer
        ("  name: churn", " name: churn"),  # less indented than its siblings
        ("name: churn", "name: c\n    hurn"),  # a plain scalar continued: "c hurn"
        ("stage: canary   ", "stage: can\n\n      ary   "),
        ("metadata:", "metadata: &m"),
    ],
)
def test_layouts_it_declines(old: str, new: str) -> None:
    assert old in PLAIN
    text = PLAIN.replace(old, new)
    assert identity_of(text.encode()) is None
    assert identity_of(text.replace("\n", "\r\n").encode()) is None
    _agrees_with_yaml(text)


_LAST = (
    SHARED.replace("  rollout:\n    trafficPercent: 10\n", "")
    + "  rollout:\n    trafficPercent: 10\n"
)
SHARES = {
    "promote": (SHARED, 10.0),
    "decimal": (SHARED.replace("trafficPercent: 10", "trafficPercent: 7.5"), 7.5),
    "comment": (SHARED.replace("trafficPercent: 10", "trafficPercent: 0.25  # ramp"), 0.25),
    "all": (SHARED.replace("trafficPercent: 10", "trafficPercent: 100"), 100.0),
    "key-comment": (SHARED.replace("  rollout:\n", "  rollout:    # set by promote\n"), 10.0),
    "deeper": (SHARED.replace("    trafficPercent", "      trafficPercent"), 10.0),
    "comment-line": (SHARED.replace("    traffic", "    # ramp\n    traffic"), 10.0),
    "indent-4": (SHARED.replace("\n  ", "\n    "), 10.0),  # four spaces throughout
    "last-in-spec": (_LAST, 10.0),
    "none": (PLAIN, None),
}


@pytest.mark.parametrize(("text", "share"), SHARES.values(), ids=SHARES.keys())
def test_canary_shares_it_reads(text: str, share: float | None) -> None:
    assert identity_and_traffic(text.encode()) == (
        ("ModelVersion", "churn", "1.2.0", "canary"),
        share,
    )
    _agrees_with_yaml(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  rollout:\n    trafficPercent: 10", "  rollout: {trafficPercent: 10}"),  # flow
        ("  rollout:\n    trafficPercent: 10", "  rollout: &r\n    trafficPercent: 10"),
        ("trafficPercent: 10", "trafficPercent: '10'"),  # a string: the schema refuses it
        ("trafficPercent: 10", "trafficPercent: 010"),  # YAML 1.1: octal, i.e. 8
        ("trafficPercent: 10", "trafficPercent: 1_0"),  # YAML 1.1: 10
        ("trafficPercent: 10", "trafficPercent: 1e1"),  # YAML 1.1: a string
        ("trafficPercent: 10", "trafficPercent: .5"),
        ("trafficPercent: 10", "trafficPercent: 150"),  # out of range: validation says so
        ("trafficPercent: 10", "trafficPercent: -5"),
        ("trafficPercent: 10", "trafficPercent: 10#%"),  # no comment: the string "10#%"
        ("trafficPercent: 10", "trafficPercent: # 10"),  # null, the number commented out
        ("trafficPercent: 10", "trafficPercent: 1\n      0"),  # a plain scalar continued
        ("trafficPercent: 10", "trafficPercent: 10\n    trafficPercent: 20"),  # duplicate
        ("trafficPercent: 10", "trafficPercent: 10\n   weight: 20"),  # between the levels
        ("    trafficPercent: 10\n", ""),  # an empty rollout: null
        ("    trafficPercent: 10", "  - 10"),  # a list at the key's indentation
        ("    trafficPercent: 10", "    - 10"),  # a list below it
        ("  rollout:\n", "  rollout:\n  rollout:\n"),  # duplicate rollout
    ],
)
def test_share_layouts_it_declines(old: str, new: str) -> None:
    assert old in SHARED
    text = SHARED.replace(old, new)
    assert identity_and_traffic(text.encode()) is None
    _agrees_with_yaml(text)


def test_crlf_and_bad_bytes_are_declined() -> None:
    assert identity_of(PLAIN.replace("\n", "\r\n").encode()) is None
    assert identity_of(b"\xef\xbb\xbf" + PLAIN.encode()) is None
    assert identity_of(PLAIN.encode() + b"\x00") is None
    assert identity_of(PLAIN.encode()) is not None  # control


def test_every_stage_is_read() -> None:
    for stage in ModelStage:
        assert identity_of(manifest("m", "1.0.0", stage.value).encode()) == (
            "ModelVersion", "m", "1.0.0", stage.value,
        )  # fmt: skip


SNIPPETS = [
    "", ":", ": ", "-", "- ", "[", "]", "{", "}", "'", '"', "#", " #", "&a ", "*a", "!!str ",
    "|", ">-", "?", "? ", "\n", "\n  ", "\n    ", "\n  stage: production", "\nstage: x",
    '\n  "stage": production', "\n  stage: ", "---\n", "...", "%YAML 1.1\n", "yes", "~",
    "\n  - ", "\n- ", ",", "production", "\\", "''",
    "\n    trafficPercent: 20", "\n  rollout:", "\n  rollout:\n    trafficPercent: 5", "7.5",
    "010", "150", "\n      ",
]  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([PLAIN, SHARED]),
    st.lists(
        st.tuples(st.integers(0, len(SHARED)), st.integers(0, 6), st.sampled_from(SNIPPETS)),
        min_size=1,
        max_size=3,
    ),
)
def test_mutations_never_make_it_read_something_else(
    base: str, edits: list[tuple[int, int, str]]
) -> None:
    text = base
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    _agrees_with_yaml(text)
