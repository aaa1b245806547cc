"""Names and paths: one spelling, and every place that checks a name agrees with it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from galfriday_gitops import paths
from galfriday_gitops.apply import tags
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.layout import classify
from galfriday_gitops.load.state import parse_blob
from galfriday_gitops.resources import Experiment


def test_paths_are_spelled_as_the_layout_says() -> None:
    assert paths.manifest_path("price-direction", "1.2.0") == "models/price-direction/1.2.0.yaml"
    assert paths.model_dir("price-direction") == "models/price-direction"
    assert paths.artifact_dir("price-direction", "1.2.0") == "artifacts/price-direction/1.2.0"
    assert paths.experiment_path("pd-ab") == "experiments/pd-ab.yaml"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("models/price-direction/1.2.0.yaml", ("price-direction", "1.2.0")),
        ("models/x/not-semver.yaml", ("x", "not-semver")),  # shape only: the loader judges
        ("models/x/1.0.0.yml", None),
        ("models/x/y/1.0.0.yaml", None),
        ("models/1.0.0.yaml", None),
        ("policies/x/1.0.0.yaml", None),
        ("experiments/x.yaml", None),
    ],
)
def test_split_manifest_path(path: str, expected: tuple[str, str] | None) -> None:
    assert paths.split_manifest_path(path) == expected


def test_split_experiment_path() -> None:
    assert paths.split_experiment_path("experiments/pd-ab.yaml") == "pd-ab"
    assert paths.split_experiment_path("experiments/a/b.yaml") is None
    assert paths.split_experiment_path("models/pd-ab.yaml") is None


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a", True),
        ("price-direction", True),
        ("v1.2_x-", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("-a", False),
        (".a", False),
        ("Price", False),
        ("a/b", False),
        ("a b", False),
        ("a\n", False),
    ],
)
def test_is_name(name: str, valid: bool) -> None:
    assert paths.is_name(name) is valid


@given(st.text(alphabet="abcxyz019._-/A \n", max_size=70))
def test_manifest_paths_round_trip(name: str) -> None:
    split = paths.split_manifest_path(paths.manifest_path(name, "1.0.0"))
    assert split == ((name, "1.0.0") if "/" not in name else None)


def _schema_accepts(name: str) -> bool:
    data = {
        "apiVersion": "galfriday/v1",
        "kind": "Experiment",
        "metadata": {"name": name},
        "spec": {},
    }
    try:
        Experiment.model_validate(data)
    except ValidationError as exc:
        return not any(e["type"] == "gf_name" for e in exc.errors())
    return True


def _folder_accepts(name: str) -> bool:
    return not isinstance(classify(paths.manifest_path(name, "1.0.0")), Finding)


def _tag_accepts(name: str) -> bool:
    parsed = tags.parse(str(tags.registration(name, "1.0.0")))
    return parsed is not None and parsed.model == name


@given(st.text(alphabet="abz09._-A/ \n", min_size=0, max_size=66))
def test_schema_folder_and_tags_agree_on_names(name: str) -> None:
    expected = paths.is_name(name)
    assert _schema_accepts(name) is expected
    assert _folder_accepts(name) is expected or "/" in name  # a "/" changes the path's shape
    assert _tag_accepts(name) is expected


def test_the_agreement_check_sees_a_refusal() -> None:
    # Positive control: each of the three says no to a bad name and yes to a good one.
    assert not _schema_accepts("Bad") and _schema_accepts("good")
    assert not _folder_accepts("Bad") and _folder_accepts("good")
    assert not _tag_accepts("Bad") and _tag_accepts("good")


@pytest.mark.parametrize("name", ["ml-leads", "ml-leads\\n"])
def test_a_name_with_a_final_newline_is_refused_in_a_file(name: str) -> None:
    # Python's "$" matches before a final newline: a quoted "x\n" passed as a valid name.
    raw = (
        "apiVersion: galfriday/v1\nkind: Teams\n"
        f'metadata:\n  name: "{name}"\nspec:\n  teams: {{}}\n'
    )
    slot = classify("policies/teams.yaml")
    assert not isinstance(slot, Finding) and slot is not None
    resource, findings = parse_blob(raw.encode(), slot)
    if name == "ml-leads":  # the control: the same file with a valid name loads
        assert resource is not None and findings == ()
    else:
        assert resource is None
        assert [(f.rule, f.line) for f in findings] == [("GF112", 4)]
