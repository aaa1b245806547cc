"""The minimal YAML edits: one token replaced, everything else byte-for-byte the same."""

from __future__ import annotations

import datetime as dt
import difflib

import pytest

from galfriday_gitops.load.safe_yaml import load
from galfriday_gitops.write.edit import EditError, set_block, set_mapping, set_scalar
from tests.support.factories import manifest
from tests.support.repo import ROOT


def changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), n=0)
    return [ln for ln in diff if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def test_stage_edit_is_one_line_and_keeps_the_comment_column() -> None:
    raw = manifest(stage="testing").encode()
    new = set_scalar(raw, ("spec", "stage"), "production")
    assert changed_lines(raw, new) == [
        "-  stage: testing          # a comment that must survive edits",
        "+  stage: production       # a comment that must survive edits",
    ]
    assert load(new).data["spec"]["stage"] == "production"


def test_real_manifest_keeps_header_comments_and_order() -> None:
    raw = (ROOT / "models/price-direction/1.2.0.yaml").read_bytes()
    new = set_scalar(raw, ("spec", "stage"), "canary")
    assert changed_lines(raw, new) == ["-  stage: staging", "+  stage: canary"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [("'staging'", "'production'"), ('"staging"', '"production"'), ("staging", "production")],
)
def test_quoting_style_is_kept(source: str, expected: str) -> None:
    raw = manifest().replace("stage: development", f"stage: {source}").encode()
    new = set_scalar(raw, ("spec", "stage"), "production")
    assert f"stage: {expected}" in new.decode()


def test_value_that_would_change_type_is_quoted() -> None:
    raw = manifest().encode()
    new = set_scalar(raw, ("metadata", "labels", "team"), "no")  # YAML 1.1 boolean if plain
    assert load(new).data["metadata"]["labels"]["team"] == "no"
    assert len(changed_lines(raw, new)) == 2


def test_flow_mapping_and_sequence_items() -> None:
    raw = manifest().encode()
    new = set_scalar(raw, ("spec", "metrics", "test", "accuracy"), 0.95)
    assert "test: {accuracy: 0.95, latency_ms: 12.0}" in new.decode()
    new = set_scalar(raw, ("spec", "features", 1), "ret_5m")
    assert "features: [spread_bps, ret_5m]" in new.decode()


def test_refusals() -> None:
    raw = manifest().encode()
    with pytest.raises(EditError, match=r"spec\.nothing is not in the file"):
        set_scalar(raw, ("spec", "nothing"), "x")
    with pytest.raises(EditError, match="not a scalar"):
        set_scalar(raw, ("spec", "metrics"), "x")
    with pytest.raises(EditError, match="line"):
        set_scalar(b"a: 1\na: 2\n", ("a",), 3)  # the safe loader's refusal, with its line


def test_mapping_added_and_removed_round_trip() -> None:
    raw = manifest(stage="production").encode()
    deprecation = {
        "reason": "replaced by 1.1.0",
        "replacement": "1.1.0",
        "endOfLife": dt.date(2027, 3, 1),
    }
    added = set_mapping(raw, ("spec", "deprecation"), deprecation)
    assert changed_lines(raw, added) == [
        "+  deprecation:",
        "+    reason: replaced by 1.1.0",
        "+    replacement: 1.1.0",
        "+    endOfLife: 2027-03-01",
    ]
    assert "# a comment that must survive edits" in added.decode()
    removed = set_mapping(added, ("spec", "deprecation"), None)
    assert removed == raw
    assert set_mapping(raw, ("spec", "deprecation"), None) == raw


BLOCK_DOC = """\
spec:
  model: m        # kept
  status: running # kept too
  # a comment line after the last key
other: 1
"""


def test_block_is_spliced_after_its_sibling_and_replaced_in_place() -> None:
    value = {
        "winner": None,
        "when": dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC),
        "md5": "01234567890123456789012345678901",  # all digits: quoted, or it is an int
        "lift": -1e-06,  # repr "1e-06" would read back as a string in YAML 1.1
        "ci": [-0.5, 0.25],
        "samples": {"control": 10, "treatment": 12},
        "note": "a: b",
    }
    raw = BLOCK_DOC.encode()
    added = set_block(raw, ("spec", "result"), value, after="status")
    assert changed_lines(raw, added) == [
        "+  result:",
        "+    winner: null",
        "+    when: 2026-11-20T09:30:00Z",
        '+    md5: "01234567890123456789012345678901"',
        "+    lift: -1.0e-06",
        "+    ci: [-0.5, 0.25]",
        "+    samples: {control: 10, treatment: 12}",
        '+    note: "a: b"',
    ]
    assert added.decode().index("  result:") < added.decode().index("  # a comment line")
    replaced = set_block(added, ("spec", "result"), {"winner": "1.2.0"})
    assert changed_lines(raw, replaced) == ["+  result:", "+    winner: 1.2.0"]


def test_block_keeps_crlf_and_refuses_what_it_cannot_write() -> None:
    raw = BLOCK_DOC.replace("\n", "\r\n").encode()
    added = set_block(raw, ("spec", "result"), {"n": 1})
    assert added.count(b"\r\n") == added.count(b"\n")  # every line ends in CRLF
    assert added.startswith(raw.split(b"  # a comment")[0])
    with pytest.raises(EditError, match="one level of nesting"):
        set_block(BLOCK_DOC.encode(), ("spec", "result"), {"deep": {"a": {"b": 1}}})
    with pytest.raises(EditError, match="non-finite"):
        set_block(BLOCK_DOC.encode(), ("spec", "result"), {"p": float("nan")})
    with pytest.raises(EditError, match="block mapping"):
        set_block(b"spec: {model: m}\n", ("spec", "result"), {"n": 1})
