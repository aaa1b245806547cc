"""Model URIs: one parser for the CLI and Python; what is refused says what to write."""

from __future__ import annotations

import pytest

from galfriday_gitops.stages import ModelStage
from galfriday_gitops.uri import InvalidModelURI, ModelURI, parse_uri


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("churn", ModelURI("churn")),
        ("churn@production", ModelURI("churn", stage=ModelStage.PRODUCTION)),
        ("churn@1.2.0", ModelURI("churn", version="1.2.0")),
        ("churn@v1.2.0", ModelURI("churn", version="1.2.0")),
        ("churn@1.2.0-rc.1+b5", ModelURI("churn", version="1.2.0-rc.1+b5")),
        ("models:/churn@canary", ModelURI("churn", stage=ModelStage.CANARY)),
        ("models:/churn/1.2.0", ModelURI("churn", version="1.2.0")),
        ("models:/churn", ModelURI("churn")),
        ("price-direction.v2@staging", ModelURI("price-direction.v2", stage=ModelStage.STAGING)),
    ],
)
def test_the_forms_it_reads(text: str, uri: ModelURI) -> None:
    assert parse_uri(text) == uri


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("churn@prodution", "did you mean 'production'?"),
        ("churn@Production", "did you mean 'production'?"),
        ("churn@1.2", "neither a version"),
        ("models:/churn/Production", "models:/churn@production"),
        ("Churn@production", "is not a model name"),
        ("churn@", "neither a version"),
        ("@production", "is not a model name"),
        ("churn/1.2.0", "is not a model name"),
        ("../etc@production", "is not a model name"),
        ("churn@production@1.0.0", "neither a version"),
    ],
)
def test_what_it_refuses_says_what_to_write(text: str, words: str) -> None:
    with pytest.raises(InvalidModelURI) as caught:
        parse_uri(text)
    assert words in str(caught.value) and repr(text) in str(caught.value)


def test_it_prints_as_it_is_read() -> None:
    for text in ("churn", "churn@production", "churn@1.2.0"):
        assert str(parse_uri(text)) == text
    assert str(parse_uri("models:/churn/1.2.0")) == "churn@1.2.0"
