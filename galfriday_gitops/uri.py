"""Model URIs: the one way a version is named, on the command line and in Python.

========================  =================================================
``churn``                 the model (a command decides: its versions, or production)
``churn@production``      the version in a stage
``churn@1.2.0``           a version (``churn@v1.2.0`` too, as GTO's tags spell it)
``models:/churn@canary``  MLflow's URI form, for code moving from MLflow
``models:/churn/1.2.0``   MLflow's version form
========================  =================================================

MLflow's deprecated stage form ``models:/churn/Production`` is refused with the
spelling to use instead: stage names are lowercase here (``production``), and a URI that
could mean two things is an error, not a guess. Standard library only: whether the stage
exists is checked against :class:`~galfriday_gitops.stages.ModelStage`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from galfriday_gitops.paths import is_name
from galfriday_gitops.semver import is_semver
from galfriday_gitops.stages import STAGE_NAMES, ModelStage

MLFLOW_PREFIX = "models:/"


class InvalidModelURI(ValueError):
    """The text is not a model URI; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class ModelURI:
    """A model, optionally narrowed to one version or to the version in one stage."""

    name: str
    version: str | None = None
    stage: ModelStage | None = None

    def __str__(self) -> str:
        selector = self.version or (self.stage.value if self.stage else None)
        return f"{self.name}@{selector}" if selector else self.name


def _stage(text: str, uri: str) -> ModelStage:
    if text in STAGE_NAMES:
        return ModelStage(text)
    valid = sorted(STAGE_NAMES)
    close = [s for s in valid if s.startswith(text.lower())] if text else []
    close = close if len(close) == 1 else difflib.get_close_matches(text.lower(), valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InvalidModelURI(
        f"{uri!r}: {text!r} is neither a version (MAJOR.MINOR.PATCH) nor a stage; "
        f"{hint}stages: {', '.join(s.value for s in ModelStage)}"
    )


def _name(text: str, uri: str) -> str:
    if not is_name(text):
        raise InvalidModelURI(
            f"{uri!r}: {text!r} is not a model name (1-64 of [a-z0-9._-], starting with a "
            "letter or digit); expected NAME, NAME@STAGE, NAME@VERSION or models:/NAME@STAGE"
        )
    return text


def parse_uri(text: str) -> ModelURI:
    """``"churn@production"`` -> ModelURI("churn", stage=PRODUCTION); see the module table."""
    body = text.removeprefix(MLFLOW_PREFIX)
    if body != text and "@" not in body and "/" in body:
        name, _, selector = body.partition("/")
        if is_semver(selector):
            return ModelURI(_name(name, text), version=selector)
        raise InvalidModelURI(
            f"{text!r}: models:/NAME/{selector} is MLflow's version form, and {selector!r} is "
            f"not a version; for a stage write models:/{name}@{selector.lower()}"
        )
    name, at, selector = body.partition("@")
    if not at:
        return ModelURI(_name(name, text))
    version = selector.removeprefix("v")
    if is_semver(version):
        return ModelURI(_name(name, text), version=version)
    return ModelURI(_name(name, text), stage=_stage(selector, text))
