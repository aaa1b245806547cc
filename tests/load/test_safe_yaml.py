"""The safe loader: plain data with positions, or one refusal naming rule, line and column."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from galfriday_gitops.load.safe_yaml import MAX_BYTES, MAX_DEPTH, YamlError, load


def refuse(raw: bytes) -> YamlError:
    with pytest.raises(YamlError) as info:
        load(raw)
    return info.value


def test_values_keep_their_line_and_column() -> None:
    doc = load(b"a: 1\nb:\n  c: [x, {d: 2}]\n  e:\n    - f: yes\n")
    assert doc.data == {"a": 1, "b": {"c": ["x", {"d": 2}], "e": [{"f": True}]}}
    assert doc.positions[("b", "c", 1, "d")] == (3, 11)
    assert doc.positions[("b", "e", 0, "f")] == (5, 7)
    assert doc.line_of(("b", "e", 0, "missing")) == (5, 7)


@pytest.mark.parametrize(
    ("raw", "rule_id", "line", "words"),
    [
        (
            b"a:\n  b: 1\n  c:\n    d: 1\n    d: 2\n",
            "GF101",
            5,
            "duplicate key 'd' (first defined on line 4)",
        ),
        (b"a: &x 1\nb: 2\n", "GF102", 1, "anchor &x"),
        (b"a: 1\nb: *x\n", "GF102", 2, "alias *x"),
        (b"base: {}\n<<: {}\n", "GF102", 2, "merge keys"),
        (
            b"a: !!python/object/apply:os.system [ls]\n",
            "GF103",
            1,
            "!!python/object/apply:os.system",
        ),
        (b"a: !!binary aGVsbG8=\n", "GF103", 1, "!!binary"),
        (b"a: !local x\n", "GF103", 1, "!local"),
        (b"a: 1\n---\nb: 2\n", "GF104", 2, "second"),
        (b"\xef\xbb\xbfa: 1\n", "GF105", 1, "byte-order mark"),
        (b"a: 1\nb: x\x00y\n", "GF105", 2, "NUL"),
        (b"a: 1\nb: \xc3\x28\n", "GF105", 2, "invalid UTF-8"),
        ("a: 1\nname: prod\u202euction\n".encode(), "GF106", 2, "U+202E"),
        ("stage: produ\u200bction\n".encode(), "GF106", 1, "U+200B"),
        (b"1: a\n", "GF109", 1, "quote it"),
        (b"? [a]\n: 1\n", "GF109", 1, "not a collection"),
        (b"a: [1\nb: 2\n", "GF100", 2, "YAML syntax"),
        (b"", "GF110", 1, "empty file"),
    ],
)
def test_refusals_name_rule_and_line(raw: bytes, rule_id: str, line: int, words: str) -> None:
    err = refuse(raw)
    assert (err.rule_id, err.line) == (rule_id, line)
    assert words in err.message


def test_size_limit() -> None:
    err = refuse(b"a: '" + b"x" * MAX_BYTES + b"'\n")
    assert err.rule_id == "GF107"
    assert str(MAX_BYTES) in err.message


def test_nesting_limit_in_block_and_flow_style() -> None:
    block = (
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2))
        + "  " * (MAX_DEPTH + 2)
        + "v: 1\n"
    )
    assert refuse(block.encode()).rule_id == "GF108"
    assert refuse(b"a: " + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)).rule_id == "GF108"
    ok = b"a: " + b"[" * (MAX_DEPTH - 2) + b"]" * (MAX_DEPTH - 2)
    assert load(ok).data["a"] is not None


def test_pathological_nesting_is_refused_fast_and_does_not_crash() -> None:
    # 100k brackets: libyaml alone spends many seconds here, the C composer segfaults.
    code = (
        "from galfriday_gitops.load.safe_yaml import load, YamlError\n"
        "try:\n    load(b'a: ' + b'[' * 100000 + b']' * 100000)\n"
        "except YamlError as e:\n    print(e.rule_id)\n"
    )
    # Both limits are hang guards, far above 10x the quiet duration (0.05 s measured).
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "GF108"
    assert time.perf_counter() - start < 30  # generous: a crash or a hang is what this catches


def test_yaml_11_scalars_are_resolved_not_stringified() -> None:
    data = load(b"a: no\nb: 1.10\nc: 0x1f\nd: 2026-01-02\ne: '1.10'\nf: .nan\ng: ~\n").data
    assert data["a"] is False and data["b"] == 1.1 and data["c"] == 31
    assert str(data["d"]) == "2026-01-02" and data["e"] == "1.10" and data["g"] is None
    assert data["f"] != data["f"]  # NaN reaches the schema, which refuses it there


@pytest.mark.parametrize("value", ["2026-02-30", "2026-11-0T12:00:00Z", "2026-13-01"])
def test_an_impossible_date_is_a_finding_not_a_crash(value: str) -> None:
    # Found by the identity reader's property test: PyYAML's constructor raises ValueError.
    with pytest.raises(YamlError) as caught:
        load(f"a: 1\nwhen: {value}\n".encode())
    assert caught.value.rule_id == "GF100" and caught.value.line == 2
    assert "not a valid one" in caught.value.message
    assert str(load(b"when: 2026-02-28\n").data["when"]) == "2026-02-28"  # control
