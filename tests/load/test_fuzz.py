"""Property: any bytes give a typed resource or clean findings, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from galfriday_gitops.findings import Finding
from galfriday_gitops.load.layout import Slot
from galfriday_gitops.load.state import parse_blob
from galfriday_gitops.resources import ModelVersion
from tests.support.factories import manifest

SLOT = Slot("models", frozenset({"ModelVersion"}))
VALID = manifest("m", "1.0.0").encode()


def _check(raw: bytes) -> None:
    resource, findings = parse_blob(raw, SLOT)
    if resource is None:
        assert findings and all(isinstance(f, Finding) and f.line >= 1 for f in findings)
    else:
        assert isinstance(resource, ModelVersion) and findings == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, len(VALID) - 1),
    st.integers(0, 40),
    st.sampled_from(
        [
            b"",
            b":",
            b"-",
            b"[",
            b"{",
            b"&a",
            b"*a",
            b"!!",
            b"\n  ",
            b"'",
            b'"',
            b"\t",
            b"<<: ",
            b"\x00",
            b"\xff",
            b"---\n",
            b"yes",
            b".nan",
            b"1e999",
        ]
    ),
)
def test_mutated_manifests(pos: int, cut: int, insert: bytes) -> None:
    _check(VALID[:pos] + insert + VALID[pos + cut :])


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
        max_leaves=20,
    )
)
def test_structured_yaml(value: object) -> None:
    import yaml

    _check(
        yaml.safe_dump(
            {"apiVersion": "galfriday/v1", "kind": "ModelVersion", "metadata": value, "spec": value}
        ).encode()
    )
