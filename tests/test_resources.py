"""The resource kinds and their vocabulary."""

from __future__ import annotations

from galfriday_gitops.resources import ModelStage


def test_stage_enum_is_the_only_spelling() -> None:
    assert [s.value for s in ModelStage] == (
        [
            "development",
            "testing",
            "staging",
            "canary",
            "production",
            "deprecated",
            "retired",
            "archived",
        ]
    )
