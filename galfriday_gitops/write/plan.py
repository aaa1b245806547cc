"""A planned change of stages: which versions move, why, and the edited manifests.

Every stage-changing write verb (promote, rollback, deprecate, the lifecycle's retirement)
computes a :class:`Plan` at its base revision: the manifests and policies as they are
there, because that is what the reconciler will judge the pull request by. What the
reconciler will decide is not guessed here: :mod:`galfriday_gitops.write.preview` asks it.

The edits keep everything but the stage line (and the deprecation bookkeeping): a version
moved to ``deprecated`` gets a ``spec.deprecation`` (replacement, end of life from the
LifecyclePolicy's grace period); a version leaving ``deprecated`` for a live stage loses
it, so lifecycle automation cannot retire it.

The canary share lives in ``spec.rollout.trafficPercent`` and only on a canary: entering
canary sets it (``traffic``, one line when the block is there, else a block after the
stage line), a move to any other stage removes it. A version promoted from canary to
production then serves the whole production share, and the manifest says nothing stale;
the reconciler agrees (GF215 refuses a rollout outside canary and a canary without one).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.safe_yaml import YamlError, load
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import model_dir
from galfriday_gitops.resources import ModelStage, ModelVersion, StagePolicy
from galfriday_gitops.write.edit import set_block, set_mapping, set_scalar

_OFF_DUTY = (ModelStage.DEPRECATED, ModelStage.RETIRED, ModelStage.ARCHIVED)
DEFAULT_GRACE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Move:
    version: ModelVersion
    path: str
    from_stage: ModelStage
    to_stage: ModelStage
    why: str

    def to_dict(self) -> dict[str, str]:
        return {
            "version": self.version.version,
            "from": self.from_stage.value,
            "to": self.to_stage.value,
            "why": self.why,
        }


@dataclass(frozen=True)
class Plan:
    """What a stage change edits, computed at ``base_rev`` (``base_commit``)."""

    name: str
    base_rev: str
    base_commit: str
    moves: list[Move]
    files: dict[str, bytes]
    traffic: float | None = None  # the canary share the primary move sets (percent)

    @property
    def primary(self) -> Move:
        return self.moves[0]

    def commit_message(self, title: str) -> str:
        details = [
            f"{m.version.ref}: {m.from_stage.value} -> {m.to_stage.value} ({m.why})"
            for m in self.moves
        ]
        return title + "\n\n" + "\n".join(details) + "\n"


# ---------------------------------------------------------------- parsing requests


def parse_stage(text: ModelStage | str) -> ModelStage:
    """``"production"`` -> ModelStage.PRODUCTION; a clear error listing the valid stages."""
    if isinstance(text, ModelStage):
        return text
    try:
        return ModelStage(text)
    except ValueError:
        valid = [s.value for s in ModelStage]
        close = difflib.get_close_matches(text.lower(), valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"unknown stage {text!r}{hint}; valid stages: {', '.join(valid)}") from None


def parse_move(item: str) -> tuple[str, ModelStage]:
    """``"1.1.0=staging"`` -> ("1.1.0", STAGING)."""
    version, sep, stage = item.partition("=")
    if not sep or not version or not stage:
        raise UserError(f"--also-move {item!r}: expected VERSION=STAGE, e.g. 1.1.0=staging")
    return version, parse_stage(stage)


# ---------------------------------------------------------------- the base revision


def base_state(repo: Path, name: str, base: str) -> RegistryState:
    """The registry at ``base``; refuses when this model's files are broken there."""
    state = load_state(repo, base)
    if name not in state.models():
        from galfriday_gitops.query import unknown_model

        raise UserError(unknown_model(name, state.models(), base))
    broken = [f for f in state.findings if f.file.startswith(model_dir(name) + "/")]
    if broken:
        first = broken[0]
        raise UserError(
            f"{first.file}:{first.line} is invalid at {base} ({first.message}); fix it first"
        )
    return state


def get_version(state: RegistryState, name: str, version: str, base: str) -> ModelVersion:
    found = state.get(name, version)
    if found is None:
        shown = ", ".join(f"{v.version} ({v.stage.value})" for v in state.versions_of(name))
        raise UserError(f"{name} has no version {version} at {base}; versions: {shown or 'none'}")
    return found


def previous_holder_stage(policy: StagePolicy | None, stage: ModelStage) -> ModelStage | None:
    """Where the current holder goes: only for single-holder stages with a previousHolder."""
    rules = policy.spec.stages.get(stage) if policy is not None else None
    if rules is None or rules.previous_holder is None or rules.capacity != 1:
        return None
    return rules.previous_holder


def grace_days(state: RegistryState) -> int:
    lifecycle = state.lifecycle_policy()
    return lifecycle.spec.deprecation.grace_period_days if lifecycle else DEFAULT_GRACE_DAYS


# ---------------------------------------------------------------- building the change


def deprecation_block(
    reason: str, replacement: str | None, end_of_life: dt.date, today: dt.date
) -> dict[str, object]:
    block: dict[str, object] = {"reason": reason}
    if replacement is not None:
        block["replacement"] = replacement
    block["endOfLife"] = end_of_life
    block["deprecatedOn"] = today
    return block


def checked(path: str, new: bytes) -> bytes:
    """``new`` if it is still a valid manifest (the edit keeps everything else)."""
    try:
        ModelVersion.model_validate(load(new).data)
    except (YamlError, ValidationError) as exc:
        raise UserError(f"{path}: the edited manifest would be invalid: {exc}") from None
    return new


def percent(value: float) -> int | float:
    """A traffic share as written: ``10``, not ``10.0``."""
    return int(value) if float(value).is_integer() else float(value)


def check_traffic(value: float) -> float:
    """A canary share in (0, 100]; a clear error otherwise."""
    if not 0 < value <= 100:
        raise UserError(f"--traffic {value:g}: expected a percentage above 0 and at most 100")
    return value


def _rollout(raw: bytes, move: Move, traffic: float | None) -> bytes:
    """``spec.rollout`` for one move: set on entering (or staying in) canary, gone elsewhere."""
    rollout = move.version.spec.rollout
    if move.to_stage is not ModelStage.CANARY:
        return set_mapping(raw, ("spec", "rollout"), None) if rollout is not None else raw
    if traffic is None:
        if rollout is None:
            raise UserError(
                f"{move.version.ref}: entering canary needs its traffic share: "
                "gfops promote NAME VERSION canary --traffic PERCENT"
            )
        return raw
    if rollout is not None:
        return set_scalar(raw, ("spec", "rollout", "trafficPercent"), percent(traffic))
    return set_block(raw, ("spec", "rollout"), {"trafficPercent": percent(traffic)}, after="stage")


def edit_for(
    raw: bytes,
    move: Move,
    *,
    replacement: str | None,
    reason: str,
    today: dt.date,
    grace: int,
    traffic: float | None = None,
) -> bytes:
    """The new file for one move: the stage line, plus deprecation and rollout bookkeeping."""
    new = set_scalar(raw, ("spec", "stage"), move.to_stage.value)
    spec = move.version.spec
    if move.to_stage is ModelStage.DEPRECATED and spec.deprecation is None:
        end_of_life = today + dt.timedelta(days=grace)
        block = deprecation_block(reason[:200], replacement, end_of_life, today)
        new = set_mapping(new, ("spec", "deprecation"), block)
    elif move.to_stage not in _OFF_DUTY and spec.deprecation is not None:
        new = set_mapping(new, ("spec", "deprecation"), None)
    return _rollout(new, move, traffic)


def build_plan(
    state: RegistryState,
    base: str,
    moves: list[Move],
    *,
    today: dt.date,
    reasons: Mapping[str, str] | None = None,
    traffic: float | None = None,
) -> Plan:
    """The edited files for ``moves`` (the first is the requested one) at ``state``;
    ``traffic`` is the canary share the first move sets."""
    primary = moves[0]
    assert state.rev is not None
    grace = grace_days(state)
    files: dict[str, bytes] = {}
    for move in moves:
        raw = state.raw(move.path)
        if raw is None:
            raise UserError(f"{move.path} is missing at {base}")
        replacement = primary.version.version if move is not primary else None
        reason = (reasons or {}).get(move.version.version) or (
            f"replaced by {replacement}" if replacement else f"moved to {move.to_stage.value}"
        )
        new = edit_for(
            raw,
            move,
            replacement=replacement,
            reason=reason,
            today=today,
            grace=grace,
            traffic=traffic if move is primary else None,
        )
        files[move.path] = checked(move.path, new)
    return Plan(primary.version.name, base, state.rev, moves, files, traffic)
