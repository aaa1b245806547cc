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

GTO (and DVC, which reads tags through GTO) also accepts forms ``apply`` never writes:
the "simple" ``name#stage`` and ``name#stage!`` (no counter: ``gto assign --simple true``),
``name@deprecated`` (``gto deprecate``) and ``name@created``. :func:`parse` reads every
form GTO reads, so ``audit verify`` and ``gfops history`` see what GTO and DVC see;
:attr:`TagName.ours` says whether it is a form apply writes.

Besides GTO's tags, apply writes one *commit record* per first-parent commit it judged,
``gfops/commit/<sha>`` (:func:`commit_record`): a name GTO's grammar does not match, so
GTO and DVC never read it as a stage.
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
    DEPRECATE = "deprecate"  # GTO's name@deprecated: the whole model (apply never writes it)
    CREATE = "create"  # GTO's name@created (apply never writes it)


def stage_of(action: TagAction, from_stage: str | None, to_stage: str | None) -> str | None:
    """The stage a stage tag is about: entered (assign) or left (unassign); None for the
    other actions. Planned tags and the records of written ones must agree on it."""
    if action is TagAction.ASSIGN:
        return to_stage
    if action is TagAction.UNASSIGN:
        return from_stage
    return None


# As gto/constants.py spells them: any stage name GTO accepts, any counter (even 0).
_STAGE = r"[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?"
_SEMVER = SEMVER_PATTERN.removeprefix("^").removesuffix("$")
_TAG = re.compile(
    rf"^(?P<model>{NAME})"
    rf"(?:(?:#(?P<stage>{_STAGE})|@v(?P<version>{_SEMVER}))(?P<cancel>!?)"
    r"|@(?P<special>deprecated|created))(?:#(?P<counter>[0-9]+))?$"
)
_GTO_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?$")
COMMIT_RECORD_PREFIX = "gfops/commit/"
_COMMIT_RECORD = re.compile(rf"^{re.escape(COMMIT_RECORD_PREFIX)}(?P<sha>[0-9a-f]{{40}})$")


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
        elif self.action in (TagAction.DEPRECATE, TagAction.CREATE):
            base = (
                f"{self.model}@{'deprecated' if self.action is TagAction.DEPRECATE else 'created'}"
            )
        else:
            base = f"{self.model}#{self.stage}{cancel}"
        return base if self.counter is None else f"{base}#{self.counter}"

    @property
    def ours(self) -> bool:
        """A form ``apply`` writes: a version tag, or a stage tag with its counter."""
        if self.action in (TagAction.REGISTER, TagAction.DEREGISTER):
            return True
        return self.action in (TagAction.ASSIGN, TagAction.UNASSIGN) and bool(self.counter)

    def describe(self) -> str:
        """What GTO and DVC read this tag as, in words."""
        form = "" if self.ours else " (a form gfops never writes)"
        what = {
            TagAction.REGISTER: f"registers {self.model} {self.version}",
            TagAction.DEREGISTER: f"deregisters {self.model} {self.version}",
            TagAction.ASSIGN: f"assigns {self.model}'s {self.stage} stage",
            TagAction.UNASSIGN: f"unassigns {self.model}'s {self.stage} stage",
            TagAction.DEPRECATE: f"deprecates {self.model} as a whole",
            TagAction.CREATE: f"creates {self.model}",
        }[self.action]
        simple = ", GTO's simple form" if self.stage is not None and self.counter is None else ""
        return f"{what}{simple}{form}"


def registration(model: str, version: str) -> TagName:
    return TagName(TagAction.REGISTER, model, version=version)


def deregistration(model: str, version: str) -> TagName:
    return TagName(TagAction.DEREGISTER, model, version=version)


def assignment(model: str, stage: str, counter: int) -> TagName:
    return TagName(TagAction.ASSIGN, model, stage=stage, counter=counter)


def unassignment(model: str, stage: str, counter: int) -> TagName:
    return TagName(TagAction.UNASSIGN, model, stage=stage, counter=counter)


def parse(name: str) -> TagName | None:
    """What GTO (and DVC) read a tag name as, for a registry name; None for any other tag."""
    m = _TAG.match(name)
    if m is None:
        return None
    counter = int(m["counter"]) if m["counter"] else None
    cancel = m["cancel"] == "!"
    if m["special"] is not None:
        action = TagAction.DEPRECATE if m["special"] == "deprecated" else TagAction.CREATE
        return TagName(action, m["model"], counter=counter)
    if m["version"] is not None:
        action = TagAction.DEREGISTER if cancel else TagAction.REGISTER
        return TagName(action, m["model"], version=m["version"], counter=counter)
    action = TagAction.UNASSIGN if cancel else TagAction.ASSIGN
    return TagName(action, m["model"], stage=m["stage"], counter=counter)


def commit_record(sha: str) -> str:
    """The name of the commit record of first-parent commit ``sha``."""
    return f"{COMMIT_RECORD_PREFIX}{sha}"


def recorded_commit(name: str) -> str | None:
    """The commit a commit record's tag name is for; None for any other tag."""
    m = _COMMIT_RECORD.match(name)
    return m["sha"] if m else None


def gto_readable(model: str) -> bool:
    """Whether GTO can parse tags of this model name."""
    return _GTO_NAME.match(model) is not None
