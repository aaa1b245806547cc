"""Audit tag names in GTO's syntax: the one place they are formatted and parsed.

GTO (iterative/gto, ``gto/constants.py`` and ``gto/tag.py``) names tags

=========================  =======================================
``name@vX.Y.Z``            registration of a version
``name@vX.Y.Z!``           deregistration
``name#stage#N``           assignment of a stage (N counts per model)
``name#stage!#N``          unassignment
=========================  =======================================

and finds the version of a stage tag by the commit it points to: the commit its
registration tag points to. GTO's names are ``[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?``;
ours (``[a-z0-9][a-z0-9._-]*``) also allow dots and a trailing ``-``/``_``, which GTO
cannot read: we still tag them (the audit trail comes first) and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from galfriday_gitops.paths import NAME
from galfriday_gitops.semver import SEMVER_PATTERN


class TagAction(StrEnum):
    REGISTER = "register"
    DEREGISTER = "deregister"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


_STAGE = r"[a-z][a-z0-9_-]*"
_SEMVER = SEMVER_PATTERN.removeprefix("^").removesuffix("$")
_TAG = re.compile(
    rf"^(?P<model>{NAME})"
    rf"(?:@v(?P<version>{_SEMVER})|#(?P<stage>{_STAGE}))"
    r"(?P<cancel>!?)(?:#(?P<counter>[1-9][0-9]*))?$"
)
_GTO_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?$")


@dataclass(frozen=True, slots=True)
class TagName:
    """A parsed audit tag name; ``str()`` formats it back exactly."""

    action: TagAction
    model: str
    version: str | None = None  # register / deregister
    stage: str | None = None  # assign / unassign
    counter: int | None = None  # assign / unassign (optional on versions, as in GTO)

    def __str__(self) -> str:
        cancel = "!" if self.action in (TagAction.DEREGISTER, TagAction.UNASSIGN) else ""
        if self.action in (TagAction.REGISTER, TagAction.DEREGISTER):
            base = f"{self.model}@v{self.version}{cancel}"
        else:
            base = f"{self.model}#{self.stage}{cancel}"
        return base if self.counter is None else f"{base}#{self.counter}"


def registration(model: str, version: str) -> TagName:
    return TagName(TagAction.REGISTER, model, version=version)


def deregistration(model: str, version: str) -> TagName:
    return TagName(TagAction.DEREGISTER, model, version=version)


def assignment(model: str, stage: str, counter: int) -> TagName:
    return TagName(TagAction.ASSIGN, model, stage=stage, counter=counter)


def unassignment(model: str, stage: str, counter: int) -> TagName:
    return TagName(TagAction.UNASSIGN, model, stage=stage, counter=counter)


def parse(name: str) -> TagName | None:
    """The audit meaning of a tag name, or None for any other tag."""
    m = _TAG.match(name)
    if m is None:
        return None
    counter = int(m["counter"]) if m["counter"] else None
    cancel = m["cancel"] == "!"
    if m["version"] is not None:
        action = TagAction.DEREGISTER if cancel else TagAction.REGISTER
        return TagName(action, m["model"], version=m["version"], counter=counter)
    if counter is None:
        return None  # a stage tag without a counter is GTO's "simple" form: not ours
    action = TagAction.UNASSIGN if cancel else TagAction.ASSIGN
    return TagName(action, m["model"], stage=m["stage"], counter=counter)


def gto_readable(model: str) -> bool:
    """Whether GTO can parse tags of this model name."""
    return _GTO_NAME.match(model) is not None
