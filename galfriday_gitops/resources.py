"""The registry's resources: the single source of truth for every YAML kind.

Every kind is ``apiVersion: galfriday/v1`` with ``kind``, ``metadata`` and ``spec``.
Types are strict on purpose: YAML 1.1 turns ``no`` into a boolean, ``1.10`` into a
float and an all-digit md5 into an integer; none of that may slip through as a string.
The JSON Schemas in ``schemas/`` are generated from these models (``gfops schema --write``).
"""

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from galfriday_gitops import paths
from galfriday_gitops.semver import SEMVER_PATTERN, is_semver
from galfriday_gitops.stages import ModelStage as ModelStage  # re-exported: its old home

if TYPE_CHECKING:
    from galfriday_gitops.stats.multitest import Method

API_VERSION = "galfriday/v1"


def _shown(value: str) -> str:
    """A value quoted for an error message. The message is formatted here, never by
    pydantic: its templates take no ``!r`` (it printed ``{value!r}`` literally) and would
    substitute ``{...}`` inside the value itself."""
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _check_name(value: str) -> str:
    if not paths.is_name(value):
        raise PydanticCustomError(
            "gf_name",
            f"{_shown(value)} is not a valid name: use 1-64 characters from [a-z0-9._-], "
            "starting with a letter or digit",
        )
    return value


def _check_semver(value: str) -> str:
    if not is_semver(value):
        raise PydanticCustomError(
            "gf_semver",
            f"{_shown(value)} is not a SemVer version: expected MAJOR.MINOR.PATCH such as 1.2.0",
        )
    return value


# RFC 3339 (the JSON Schema ``date-time`` format): a "T", seconds, and a zone.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")


def _parse_rfc3339(value: object) -> object:
    """A quoted RFC 3339 timestamp (what ``register`` writes) becomes a datetime; a YAML
    timestamp (older manifests: ``2026-11-24 06:01:38+00:00``) already is one."""
    if not isinstance(value, str):
        return value
    try:
        if _RFC3339.match(value):
            return dt.datetime.fromisoformat(value.upper())
    except ValueError:
        pass
    raise PydanticCustomError(
        "gf_datetime",
        f'{_shown(value)} is not an RFC 3339 timestamp: expected e.g. "2026-11-24T06:01:38Z"',
    )


def rfc3339(value: dt.datetime) -> str:
    """How a timestamp is written: RFC 3339, UTC as ``Z`` (``2026-11-24T06:01:38Z``)."""
    return value.isoformat().replace("+00:00", "Z")


def _check_repo_path(value: str) -> str:
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise PydanticCustomError(
            "gf_path", f"{_shown(value)} must be a relative path inside the repository"
        )
    return value


Str = Annotated[str, Strict(), Field(max_length=4096)]
ShortStr = Annotated[str, Strict(), Field(min_length=1, max_length=200)]
Int = Annotated[int, Strict()]
NonNegInt = Annotated[int, Strict(), Field(ge=0)]
PosInt = Annotated[int, Strict(), Field(ge=1)]
Bool = Annotated[bool, Strict()]
# Strict float still accepts an int (1 is a fine threshold) but never a bool or a string.
Number = Annotated[float, Strict(), AllowInfNan(False)]
Fraction = Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=1)]
Date = Annotated[dt.date, Strict()]
DateTime = Annotated[dt.datetime, Strict(), BeforeValidator(_parse_rfc3339)]
Name = Annotated[str, Strict(), AfterValidator(_check_name)]
SemVer = Annotated[
    str,
    Strict(),
    AfterValidator(_check_semver),
    Field(json_schema_extra={"pattern": SEMVER_PATTERN}),
]
Md5 = Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{32}$")]
Sha256 = Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{64}$")]
GitSha = Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{7,64}$")]
Login = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")]
MetricName = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
FeatureName = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
LabelKey = Annotated[str, Strict(), Field(pattern=r"^[a-z0-9][a-z0-9._/-]{0,62}$")]
LabelValue = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9._-]{0,63}$")]
# A path inside the repository: relative, forward slashes, no '..' or empty parts.
RepoPath = Annotated[
    str,
    Strict(),
    Field(pattern=r"^[A-Za-z0-9_.*-][A-Za-z0-9_.*/-]{0,511}$"),
    AfterValidator(_check_repo_path),
]
# "<split>.<metric>", e.g. test.accuracy
MetricRef = Annotated[
    str, Strict(), Field(pattern=r"^(validation|test)\.[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
]
FieldPath = Annotated[str, Strict(), Field(pattern=r"^(metadata|spec)(\.[A-Za-z][A-Za-z0-9]*)+$")]
Glob = Annotated[str, Strict(), Field(pattern=r"^[a-z0-9.*?_\[\]-]{1,64}$")]
Duration = Annotated[str, Strict(), Field(pattern=r"^[1-9][0-9]{0,4}[mhd]$")]
Scalar = Annotated[str, Strict()] | Int | Number | Bool | None


class Base(BaseModel):
    """Strict, camelCase, unknown fields forbidden, immutable once loaded."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        use_enum_values=False,
        # Validators are built on first use: `gfops status` on a warm cache never
        # validates anything, and building all of them costs ~0.1 s of start-up.
        defer_build=True,
    )


class Metadata(Base):
    name: Name = Field(
        description=(
            "Name of the resource: 1-64 characters of [a-z0-9._-], starting with a letter or "
            "digit. For a ModelVersion, the model's name (the folder under models/)."
        )
    )
    description: Str | None = Field(
        default=None, description="Free text for people: what this resource is for."
    )
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description=(
            "Key/value labels for selecting resources (stage policies' appliesTo.labels, gfops"
            " select)."
        ),
    )
    annotations: dict[LabelKey, Str] = Field(
        default_factory=dict,
        description="Key/value notes for tools and people; not used to select resources.",
    )


class VersionMetadata(Metadata):
    version: SemVer = Field(
        description=(
            "SemVer version of this model version (MAJOR.MINOR.PATCH); the file name "
            "models/<name>/<version>.yaml."
        )
    )


# ---------------------------------------------------------------- ModelVersion


class DataWindow(Base):
    start: Date = Field(description="First day of the training data (YYYY-MM-DD).")
    end: Date = Field(description="Last day of the training data (YYYY-MM-DD), not before start.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError("gf_window", "dataWindow.end is before dataWindow.start")
        return self


class Training(Base):
    data_window: DataWindow | None = Field(
        default=None, description="The dates of the data the model was trained on."
    )
    samples: NonNegInt | None = Field(default=None, description="Number of training samples.")
    trained_at: DateTime | None = Field(
        default=None,
        description=(
            "When training finished: an RFC 3339 timestamp with a time zone, quoted "
            '("2026-11-24T06:01:38Z").'
        ),
    )
    trained_by: ShortStr | None = Field(
        default=None, description="Who or what trained it (a login, a CI job)."
    )
    code_commit: GitSha | None = Field(
        default=None, description="Git commit of the training code (7-64 hex digits)."
    )
    params: dict[Annotated[str, Strict()], Scalar] = Field(
        default_factory=dict,
        description=(
            "Training parameters and the exact inputs: dvc.stage and dvc.dep.<path> md5s from "
            "dvc.lock."
        ),
    )


class Metrics(Base):
    validation: dict[MetricName, Number] = Field(
        default_factory=dict,
        description="Metric name -> value on the validation split (finite numbers only).",
    )
    test: dict[MetricName, Number] = Field(
        default_factory=dict,
        description=(
            "Metric name -> value on the test split (finite numbers only); stage thresholds "
            "read these as test.<metric>."
        ),
    )

    def get(self, ref: str) -> float | None:
        """Look up ``"test.accuracy"``-style references."""
        split, _, metric = ref.partition(".")
        table = self.validation if split == "validation" else self.test if split == "test" else {}
        return table.get(metric)


class Lineage(Base):
    parent: SemVer | None = Field(
        default=None, description="The version this one was derived from or replaces (SemVer)."
    )
    experiment: Name | None = Field(
        default=None,
        description=(
            "The Experiment that compared this version (needed where a stage requires an "
            "experiment win)."
        ),
    )
    retraining: Str | None = Field(
        default=None,
        description=(
            "The retraining request that produced this version (e.g. a drift report or issue link)."
        ),
    )


class Artifact(Base):
    path: RepoPath = Field(
        description=(
            "Repository path of the artifact, under artifacts/<name>/<version>/; its .dvc file"
            " sits beside it."
        )
    )
    md5: Md5 = Field(
        description=(
            "md5 of the artifact, exactly as its .dvc file records it (32 lowercase hex "
            "digits, quoted)."
        )
    )
    size: NonNegInt = Field(
        description="Size of the artifact in bytes, as its .dvc file records it."
    )
    sha256: Sha256 | None = Field(
        default=None,
        description=(
            "SHA-256 of the artifact (64 lowercase hex digits), recorded by gfops register: "
            "MD5 collisions can be made on purpose, so consumers verify this too. Required for "
            "new registrations (GF233); manifests from before it was recorded have none."
        ),
    )

    def mismatch(self, md5: str, sha256: str) -> tuple[str, str, str] | None:
        """(algorithm, expected, actual) of the first digest of some bytes that differs
        from this artifact's (md5, then SHA-256 where the manifest records one); None when
        the bytes are the registered ones. Every reader checks before it uses the bytes."""
        if md5 != self.md5:
            return "md5", self.md5, md5
        if self.sha256 is not None and sha256 != self.sha256:
            return "sha256", self.sha256, sha256
        return None


class Deprecation(Base):
    reason: ShortStr = Field(description="Why the version is deprecated.")
    replacement: SemVer | None = Field(
        default=None,
        description=(
            "The version that replaces it (must be live when the lifecycle policy requires a "
            "replacement)."
        ),
    )
    end_of_life: Date = Field(
        description="Date after which the version may be retired (YYYY-MM-DD)."
    )
    deprecated_on: Date | None = Field(
        default=None, description="Date the version was deprecated (YYYY-MM-DD)."
    )


class Rollout(Base):
    traffic_percent: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=100)] = Field(
        description="Share of traffic (0-100) a canary version serves."
    )


class ModelVersionSpec(Base):
    stage: ModelStage = Field(
        description=(
            "Where this version is in its life: development, testing, staging, canary, "
            "production, deprecated, retired or archived. Changing it is a promotion, judged "
            "by the stage policy."
        )
    )
    model_type: ShortStr = Field(description="Kind of model, e.g. logistic-regression.")
    framework: ShortStr = Field(
        description="Library the model was built with, e.g. numpy, scikit-learn."
    )
    target: ShortStr | None = Field(
        default=None, description="What the model predicts (the label column)."
    )
    features: list[FeatureName] = Field(
        default_factory=list,
        description="Input feature names, in the order the model expects them.",
    )
    hyperparameters: dict[Annotated[str, Strict()], Scalar] = Field(
        default_factory=dict,
        description="Hyperparameter name -> value (string, number, boolean or null).",
    )
    training: Training = Field(
        default_factory=Training,
        description="How, when, by whom and on what data the version was trained.",
    )
    metrics: Metrics = Field(
        default_factory=Metrics,
        description="Evaluation metrics at registration; immutable once merged.",
    )
    lineage: Lineage = Field(
        default_factory=Lineage,
        description="Where the version comes from: parent version, experiment, retraining request.",
    )
    artifacts: list[Artifact] = Field(
        min_length=1, description="The model files, DVC-tracked; at least one."
    )
    deprecation: Deprecation | None = Field(
        default=None,
        description="Set when the version is deprecated: reason, replacement, end of life.",
    )
    rollout: Rollout | None = Field(default=None, description="Canary rollout settings.")
    tags: list[ShortStr] = Field(default_factory=list, description="Free-form tags.")


class ModelVersion(Base):
    """One registered version of one model: ``models/<name>/<version>.yaml``."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["ModelVersion"] = Field(description="Always ModelVersion.")
    metadata: VersionMetadata = Field(description="Model name, version, labels and annotations.")
    spec: ModelVersionSpec = Field(
        description=(
            "The version: stage, model, training, metrics, lineage, artifacts. Only stage, "
            "deprecation and rollout may change once merged."
        )
    )

    @model_validator(mode="after")
    def _artifacts_in_version_folder(self) -> Self:
        prefix = paths.artifact_dir(self.metadata.name, self.metadata.version) + "/"
        for artifact in self.spec.artifacts:
            if not artifact.path.startswith(prefix) or "*" in artifact.path:
                raise PydanticCustomError(
                    "gf_artifact_path",
                    f"artifact {_shown(artifact.path)} must live under {prefix}",
                )
        return self

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def stage(self) -> ModelStage:
        return self.spec.stage

    @property
    def ref(self) -> str:
        return f"{self.metadata.name}@{self.metadata.version}"


# The fields that may change after a version is merged; everything else is a fact.
MUTABLE_VERSION_FIELDS: frozenset[str] = frozenset(
    {"spec.stage", "spec.deprecation", "spec.rollout", "metadata.labels", "metadata.annotations"}
)


# ---------------------------------------------------------------- StagePolicy


class AppliesTo(Base):
    models: list[Glob] = Field(
        default_factory=lambda: ["*"],
        description="Model name globs the policy governs (default: every model).",
    )
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Labels a model version must carry for the policy to govern it.",
    )


# An approval rule names who may approve: teams, users, or the changed files' code owners.
_NAMES_AN_APPROVER: JsonDict = {
    "anyOf": [
        {
            "required": ["from"],
            "properties": {"from": {"minItems": 1, "description": "At least one team."}},
        },
        {
            "required": ["users"],
            "properties": {"users": {"minItems": 1, "description": "At least one login."}},
        },
        {
            "required": ["codeOwners"],
            "properties": {
                "codeOwners": {"const": True, "description": "The code owners approve."}
            },
        },
    ]
}


class Approvals(Base):
    """How many independent approvals a change needs, and from whom.

    ``count`` is at least 1 (a stage that needs none has no ``approvals``), and at least one
    approver is named; teams must exist in the Teams resource and be able to reach the count
    without the change's author (checked across files when the registry is loaded).
    """

    model_config = ConfigDict(json_schema_extra=_NAMES_AN_APPROVER)

    count: PosInt = Field(
        description="How many approvals the change needs (at least 1; a stage that needs "
        "none has no approvals, or says approvalsWaived)."
    )
    from_: list[Name] = Field(
        default_factory=list,
        alias="from",
        description="Teams (from policies/teams.yaml) whose members' approvals count.",
    )
    users: list[Login] = Field(
        default_factory=list, description="GitHub logins whose approvals count, besides the teams."
    )
    code_owners: Bool = Field(
        default=False,
        description="Whether the owners of the changed manifest in the base's CODEOWNERS "
        "(GitHub's file and precedence) may approve too.",
    )

    @model_validator(mode="after")
    def _names_an_approver(self) -> Self:
        if not self.from_ and not self.users and not self.code_owners:
            raise PydanticCustomError(
                "gf_approvers",
                "approvals name no approver: give from (teams), users or codeOwners: true",
            )
        return self


class Threshold(Base):
    min: Number | None = Field(default=None, description="Smallest allowed value (inclusive).")
    max: Number | None = Field(default=None, description="Largest allowed value (inclusive).")

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is None and self.max is None:
            raise PydanticCustomError("gf_threshold", "a threshold needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("gf_threshold", "threshold min is greater than max")
        return self


class RolloutLimit(Base):
    max_traffic_percent: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=100)] = (
        Field(description="Largest traffic share (0-100] a version may get in this stage.")
    )


class StageRules(Base):
    approvals: Approvals | None = Field(
        default=None, description="Approvals a move into this stage needs."
    )
    approvals_waived: ShortStr | None = Field(
        default=None,
        description=(
            "Why a protected stage needs no approval; printed in every report of a move into "
            "it (GF222). Never together with approvals."
        ),
    )
    thresholds: dict[MetricRef, Threshold] = Field(
        default_factory=dict,
        description=(
            "Metric (validation.<m> or test.<m>) -> bounds a version must meet to enter this stage."
        ),
    )
    required_fields: list[FieldPath] = Field(
        default_factory=list,
        description=(
            "Manifest fields (dotted paths such as spec.lineage.experiment) that must be set "
            "to enter this stage."
        ),
    )
    capacity: PosInt | None = Field(
        default=None, description="Most versions of one model this stage may hold at once."
    )
    rollout: RolloutLimit | None = Field(
        default=None, description="Traffic limits for versions in this stage."
    )
    previous_holder: ModelStage | None = Field(
        default=None,
        description=(
            "Where the version a newcomer replaces must move, in the same change (e.g. deprecated)."
        ),
    )
    require_experiment_win: Bool = Field(
        default=False,
        description="Whether entering this stage needs a concluded experiment this version won.",
    )
    require_artifact_in_remote: Bool = Field(
        default=False,
        description=(
            "Whether gfops check verifies that the artifacts of a version entering this stage "
            "are in the DVC remote, as CI reaches it (blocked when the remote cannot be asked)."
        ),
    )

    @model_validator(mode="after")
    def _waived_or_required(self) -> Self:
        if self.approvals is not None and self.approvals_waived is not None:
            raise PydanticCustomError(
                "gf_waived", "a stage has approvals or approvalsWaived, not both"
            )
        return self


def _protected_by_default() -> list[ModelStage]:
    return [ModelStage.CANARY, ModelStage.PRODUCTION]


class FreezeWindow(Base):
    from_: Date = Field(alias="from", description="First day of the freeze (YYYY-MM-DD).")
    to: Date = Field(description="Last day of the freeze (YYYY-MM-DD).")
    stages: list[ModelStage] = Field(
        min_length=1, description="Stages no version may enter during the freeze."
    )
    reason: ShortStr = Field(description="Why the freeze exists (shown in the finding).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to < self.from_:
            raise PydanticCustomError("gf_window", "freeze window 'to' is before 'from'")
        return self


class StagePolicySpec(Base):
    applies_to: AppliesTo = Field(
        default_factory=AppliesTo, description="Which models this policy governs."
    )
    owners: list[Name] = Field(
        min_length=1,
        description="Teams one of whose members must approve any change to a governed path: "
        "policies/, experiments/, .github/, CODEOWNERS, .gitattributes, DVC configuration.",
    )
    initial_stage: ModelStage = Field(
        default=ModelStage.DEVELOPMENT, description="The stage every new version is registered in."
    )
    transitions: dict[ModelStage, list[ModelStage]] = Field(
        description=(
            "Stage -> the stages a version may move to from it; a move not listed is refused."
        )
    )
    stages: dict[ModelStage, StageRules] = Field(
        default_factory=dict,
        description=(
            "Stage -> the rules for entering it: approvals, thresholds, required fields, capacity."
        ),
    )
    protected_stages: list[ModelStage] = Field(
        default_factory=_protected_by_default,
        description=(
            "Stages whose entry must need approvals (count >= 1 from approvers who exist), "
            "unless the stage says approvalsWaived."
        ),
    )
    experiment_approvals: Approvals | None = Field(
        default=None,
        description=(
            "Who approves changes under experiments/ of the models this policy governs (a "
            "concluded experiment is a production gate); default: one of the owners."
        ),
    )
    freeze: list[FreezeWindow] = Field(
        default_factory=list, description="Periods in which some stages may not be entered."
    )


class StagePolicy(Base):
    """How versions may move between stages; judged at a pull request's base."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["StagePolicy"] = Field(description="Always StagePolicy.")
    metadata: Metadata = Field(description="Name and description of the policy.")
    spec: StagePolicySpec = Field(
        description="The transition graph and the rules per target stage."
    )


# ---------------------------------------------------------------- Teams


class Automation(Base):
    login: Login = Field(
        description=(
            "GitHub login of the automation (bot) account; its reviews never count as approvals."
        )
    )
    tagger: ShortStr = Field(description='Identity audit tags are written as: "Name <email>".')
    allowed_signers: RepoPath | None = Field(
        default=None,
        description=(
            "Repository path of an SSH allowed-signers file; when set, audit tags must be "
            "signed by a key in it."
        ),
    )
    accept_unsigned: bool = Field(
        default=False,
        description=(
            "Accept audit records nobody can verify (no allowedSigners): without it, "
            "`gfops audit verify` reports them as unverifiable (GF311, exit status 3)."
        ),
    )


#: The logins ``gfops init`` writes when no ``--team`` was given; refused until replaced.
PLACEHOLDER_LOGIN = re.compile(r"^edit-me-reviewer-[0-9]+$")


class TeamsSpec(Base):
    teams: dict[Name, list[Login]] = Field(description="Team name -> member GitHub logins.")
    automation: Automation | None = Field(
        default=None, description="The automation identity: bot login, tagger, allowed signers."
    )

    @field_validator("teams", mode="after")
    @classmethod
    def _no_placeholder(cls, teams: dict[str, list[str]]) -> dict[str, list[str]]:
        # A registry started without --team must not look governed: until a person edits
        # the file, it does not load, so every check says so (GF110) and nothing is promoted.
        for team, logins in teams.items():
            found = next((login for login in logins if PLACEHOLDER_LOGIN.match(login)), None)
            if found is not None:
                raise PydanticCustomError(
                    "gf_placeholder",
                    f"team {_shown(team)} still lists {_shown(found)}, a placeholder written "
                    "by gfops init: replace it with the GitHub logins of the people who "
                    "approve (at least two: an author never approves their own change)",
                )
        return teams


class Teams(Base):
    """Who belongs to which team, so approvals are checked without org-admin tokens."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["Teams"] = Field(description="Always Teams.")
    metadata: Metadata = Field(description="Name of the teams file.")
    spec: TeamsSpec = Field(description="Teams and the automation identity.")


# ---------------------------------------------------------------- Experiment


class AllocationStrategy(StrEnum):
    WEIGHTED = "weighted"
    EPSILON_GREEDY = "epsilon-greedy"
    THOMPSON = "thompson"
    SHADOW = "shadow"


Variant = Literal["control", "treatment"]


def _even_split() -> dict[Variant, float]:
    return {"control": 0.5, "treatment": 0.5}


class Allocation(Base):
    strategy: AllocationStrategy = Field(
        description="How traffic is split: weighted, epsilon-greedy, thompson or shadow."
    )
    split: dict[Variant, Fraction] = Field(
        default_factory=_even_split,
        description="Share of units per variant (control, treatment); the two sum to 1.",
    )
    epsilon: Fraction | None = Field(
        default=None, description="Exploration rate for epsilon-greedy (0-1)."
    )

    @model_validator(mode="after")
    def _sums_to_one(self) -> Self:
        if set(self.split) != {"control", "treatment"} or abs(sum(self.split.values()) - 1) > 1e-9:
            raise PydanticCustomError(
                "gf_split", "split needs control and treatment weights that sum to 1"
            )
        return self


class MetricKind(StrEnum):
    MEAN = "mean"
    PROPORTION = "proportion"
    RATIO = "ratio"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class MetricDecl(Base):
    name: MetricName = Field(description="Column name of the metric in the experiment's data.")
    kind: MetricKind = Field(description="mean, proportion or ratio.")
    direction: Direction = Field(description="Whether higher or lower is better.")
    denominator: MetricName | None = Field(
        default=None, description="For a ratio metric: the column of its denominator."
    )
    covariate: FeatureName | None = Field(
        default=None, description="A pre-experiment column used to reduce variance (CUPED)."
    )


class Guardrail(MetricDecl):
    max_loss: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = Field(
        description=(
            "Largest relative harm allowed (upper end of the confidence interval), e.g. 0.05 "
            "for 5 %."
        )
    )


class ExperimentMetrics(Base):
    primary: MetricDecl = Field(description="The metric that decides the winner.")
    secondary: list[MetricDecl] = Field(
        default_factory=list, description="Metrics reported but not deciding."
    )
    guardrails: list[Guardrail] = Field(
        default_factory=list, description="Metrics that must not get worse by more than maxLoss."
    )


class Correction(StrEnum):
    HOLM = "holm"
    BENJAMINI_HOCHBERG = "benjamini-hochberg"
    BONFERRONI = "bonferroni"
    NONE = "none"

    @property
    def method(self) -> "Method":
        """The same correction in statsmodels' words (:mod:`galfriday_gitops.stats.multitest`)."""
        return _METHODS[self]


_METHODS: "dict[Correction, Method]" = {
    Correction.HOLM: "holm",
    Correction.BENJAMINI_HOCHBERG: "fdr_bh",
    Correction.BONFERRONI: "bonferroni",
    Correction.NONE: "none",
}


class Design(Base):
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=0.5)] = Field(
        default=0.05, description="Significance level (0-0.5)."
    )
    power: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = Field(
        default=0.8, description="Power the sample size is planned for (0-1)."
    )
    minimum_detectable_effect: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] = Field(
        description="Smallest relative effect the experiment is sized to detect."
    )
    min_samples_per_variant: PosInt = Field(
        default=100, description="Samples per variant needed before any conclusion."
    )
    sequential: Bool = Field(
        default=False,
        description="Whether results may be looked at repeatedly (always-valid inference).",
    )
    correction: Correction = Field(
        default=Correction.HOLM,
        description=(
            "Multiple-testing correction across metrics: holm, benjamini-hochberg, bonferroni "
            "or none."
        ),
    )


class ExperimentWindow(Base):
    start: Date = Field(description="First day of the experiment (YYYY-MM-DD).")
    end: Date | None = Field(default=None, description="Last day of the experiment (YYYY-MM-DD).")


class ExperimentStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    CONCLUDED = "concluded"
    STOPPED = "stopped"


class ExperimentOutcome(Base):
    winner: SemVer | None = Field(description="The winning version, or null when neither won.")
    decision: ShortStr = Field(description="The decision in words.")
    concluded_at: DateTime = Field(
        description="When the experiment was concluded: an RFC 3339 timestamp."
    )
    data_md5: Md5 = Field(description="md5 of the outcome data the result was computed from.")
    samples: dict[Literal["control", "treatment"], NonNegInt] = Field(
        description="Units per variant (control, treatment)."
    )
    relative_lift: Number | None = Field(
        default=None, description="Relative lift of treatment over control on the primary metric."
    )
    ci: list[Number] = Field(
        default_factory=list,
        max_length=2,
        description="Confidence interval of the relative lift: [low, high].",
    )
    p_value: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=1)] | None = Field(
        default=None, description="p-value the decision used (multiplicity-adjusted)."
    )
    chance_to_win: Fraction | None = Field(
        default=None, description="Bayesian probability that treatment beats control."
    )
    srm_p_value: Fraction | None = Field(
        default=None, description="p-value of the sample-ratio-mismatch check."
    )


class ExperimentSpec(Base):
    model: Name = Field(description="The model both versions belong to.")
    control: SemVer = Field(description="The version serving as control (SemVer).")
    treatment: SemVer = Field(description="The version under test (SemVer).")
    allocation: Allocation = Field(description="How units are split between the variants.")
    unit: FeatureName = Field(
        description="Column that identifies a unit of randomisation (e.g. account_id)."
    )
    metrics: ExperimentMetrics = Field(description="Primary, secondary and guardrail metrics.")
    design: Design = Field(description="Significance, power, effect size and sample requirements.")
    window: ExperimentWindow = Field(description="When the experiment runs.")
    data: RepoPath = Field(description="Repository path of the DVC-tracked outcome data.")
    status: ExperimentStatus = Field(description="planned, running, concluded or stopped.")
    result: ExperimentOutcome | None = Field(
        default=None,
        description="The recorded outcome, once concluded (written by gfops experiment conclude).",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.control == self.treatment:
            raise PydanticCustomError("gf_experiment", "control and treatment are the same version")
        if self.status is ExperimentStatus.CONCLUDED and self.result is None:
            raise PydanticCustomError("gf_experiment", "a concluded experiment needs a result")
        return self


class Experiment(Base):
    """An A/B, bandit or shadow comparison between two versions of one model."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["Experiment"] = Field(description="Always Experiment.")
    metadata: Metadata = Field(description="Name of the experiment.")
    spec: ExperimentSpec = Field(
        description="The versions compared, allocation, metrics, design and outcome."
    )


# ---------------------------------------------------------------- DriftPolicy


class AlphaTest(Base):
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = Field(
        default=0.05, description="Significance level of the test (0-1)."
    )


class EffectMinimum(Base):
    """An effect size a significant feature must also reach to count as drifted."""

    min: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] = Field(
        description="Smallest effect a significant feature must also reach to count as drifted."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_max(cls, data: Any) -> Any:
        if isinstance(data, dict) and "max" in data:
            raise PydanticCustomError(
                "gf_effect_max",
                "a distance no longer flags drift on its own (it ignores the sample size); "
                "write min: to require it on top of a significant test",
            )
        return data


class NumericTests(Base):
    ks: AlphaTest | None = Field(
        default_factory=AlphaTest,
        description="Two-sample Kolmogorov-Smirnov test (decides significance).",
    )
    wasserstein: EffectMinimum | None = Field(
        default=None,
        description="Wasserstein distance (standardised) a significant feature must also reach.",
    )
    psi: EffectMinimum | None = Field(
        default=None,
        description="Population stability index a significant feature must also reach.",
    )


class CategoricalTests(Base):
    chi2: AlphaTest | None = Field(
        default_factory=AlphaTest,
        description="Chi-square test of the category counts (decides significance).",
    )
    jensenshannon: EffectMinimum | None = Field(
        default=None, description="Jensen-Shannon distance a significant feature must also reach."
    )


class DriftTests(Base):
    numeric: NumericTests = Field(
        default_factory=NumericTests, description="Tests for numeric features."
    )
    categorical: CategoricalTests = Field(
        default_factory=CategoricalTests, description="Tests for categorical features."
    )


class DriftFeatures(Base):
    numeric: list[FeatureName] = Field(
        default_factory=list, description="Numeric feature columns to test."
    )
    categorical: list[FeatureName] = Field(
        default_factory=list, description="Categorical feature columns to test."
    )


class DatasetDrift(Base):
    share: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = Field(
        default=0.3,
        description="Share of drifted features (0-1] at which the whole dataset counts as drifted.",
    )


class PerformanceCheck(Base):
    labels: FeatureName = Field(description="Column holding the true labels in the current data.")
    metric: MetricName = Field(description="Manifest test metric used as the baseline.")
    max_drop: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = Field(
        description="Largest allowed drop of the metric below the baseline."
    )


class MultivariateCheck(Base):
    """PCA reconstruction error of the numeric features, permutation-calibrated."""

    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = Field(
        default=0.05, description="Significance level of the permutation test (0-1)."
    )
    variance_explained: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = Field(
        default=0.9, description="Share of variance the PCA components keep (0-1]."
    )
    permutations: Annotated[int, Strict(), Field(ge=19, le=100_000)] = Field(
        default=499, description="Permutations that calibrate the test (at least 1/alpha - 1)."
    )
    seed: NonNegInt = Field(
        default=0, description="Random seed of the permutations (reproducible runs)."
    )

    @model_validator(mode="after")
    def _enough_permutations(self) -> Self:
        if self.alpha * (self.permutations + 1) < 1:
            raise PydanticCustomError(
                "gf_permutations", "permutations must be at least 1/alpha - 1 to reach alpha"
            )
        return self


class Adwin(Base):
    """ADWIN on the error stream (defaults as in river and MOA)."""

    delta: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = Field(
        default=0.002, description="ADWIN's confidence parameter (0-1)."
    )
    clock: PosInt = Field(
        default=32, description="How often (in samples) ADWIN checks for a change."
    )


class PageHinkley(Base):
    """Page-Hinkley on the error stream (defaults: galfriday_gitops.stats.streaming)."""

    delta: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = Field(
        default=0.01, description="Magnitude of change tolerated."
    )
    threshold: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] = Field(
        default=50.0, description="Cumulative deviation that signals drift."
    )
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = Field(
        default=1.0, description="Forgetting factor of the running mean (0-1]."
    )
    min_instances: PosInt = Field(default=30, description="Samples before the detector may signal.")
    direction: Literal["both", "up", "down"] = Field(
        default="both", description="Which changes to detect: both, up or down."
    )


class ErrorStream(Base):
    """Streaming detectors on the production version's errors in its inference logs."""

    logs: RepoPath = Field(
        description="Repository path of the inference logs holding the error stream."
    )
    window: Duration | None = Field(default=None, description="How far back to read, e.g. 7d.")
    adwin: Adwin | None = Field(default=None, description="ADWIN detector settings.")
    page_hinkley: PageHinkley | None = Field(
        default=None, description="Page-Hinkley detector settings."
    )

    @model_validator(mode="after")
    def _a_detector(self) -> Self:
        if self.adwin is None and self.page_hinkley is None:
            raise PydanticCustomError("gf_detector", "errorStream needs adwin, pageHinkley or both")
        return self


class DriftAction(StrEnum):
    RETRAINING_PR = "retraining-pr"
    ISSUE = "issue"
    REPORT = "report"


class DriftPolicySpec(Base):
    model: Name = Field(description="The model this policy watches.")
    reference: RepoPath = Field(
        description="Repository path of the reference (training-time) data."
    )
    current: RepoPath = Field(description="Repository path of the current (live) data.")
    features: DriftFeatures = Field(description="Which features to test.")
    tests: DriftTests = Field(
        default_factory=DriftTests, description="Which tests to run, with their thresholds."
    )
    correction: Correction = Field(
        default=Correction.BENJAMINI_HOCHBERG,
        description="Multiple-testing correction across features.",
    )
    min_samples: PosInt = Field(
        default=30, description="Rows needed in each dataset before features are tested."
    )
    dataset_drift: DatasetDrift = Field(
        default_factory=DatasetDrift, description="When the whole dataset counts as drifted."
    )
    multivariate: MultivariateCheck | None = Field(
        default=None, description="A multivariate check of the numeric features together."
    )
    performance: PerformanceCheck | None = Field(
        default=None, description="Performance drift against the manifest's metrics."
    )
    error_stream: ErrorStream | None = Field(
        default=None, description="Streaming drift detectors on the production version's errors."
    )
    on_drift: DriftAction = Field(
        default=DriftAction.REPORT,
        description="What the scheduled job does on drift: retraining-pr, issue or report.",
    )


class DriftPolicy(Base):
    """What the scheduled drift job checks for one model, and what it does on drift."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["DriftPolicy"] = Field(description="Always DriftPolicy.")
    metadata: Metadata = Field(description="Name of the policy.")
    spec: DriftPolicySpec = Field(description="Data, features, tests and the action on drift.")


# ---------------------------------------------------------------- LifecyclePolicy


class DeprecationRules(Base):
    grace_period_days: PosInt = Field(
        default=90, description="Days from deprecation to end of life."
    )
    warn_days_before_eol: NonNegInt = Field(
        default=30, description="Days before end of life at which a warning starts."
    )
    critical_days_before_eol: NonNegInt = Field(
        default=7, description="Days before end of life at which the warning becomes critical."
    )
    auto_retire: Bool = Field(
        default=False,
        description="Whether versions past end of life get a retirement pull request.",
    )
    require_replacement: Bool = Field(
        default=True, description="Whether a deprecation must name a live replacement."
    )


class InferenceThresholds(Base):
    min_success_rate: Fraction | None = Field(
        default=None, description="Smallest share of successful requests (0-1)."
    )
    max_error_rate: Fraction | None = Field(
        default=None, description="Largest share of failed requests (0-1)."
    )
    max_p95_latency_ms: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] | None = Field(
        default=None, description="Largest 95th-percentile latency, in milliseconds."
    )
    max_p99_latency_ms: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] | None = Field(
        default=None, description="Largest 99th-percentile latency, in milliseconds."
    )
    min_mean_confidence: Fraction | None = Field(
        default=None, description="Smallest mean prediction confidence (0-1)."
    )
    max_cost_per_request: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] | None = (
        Field(default=None, description="Largest mean cost per request.")
    )


class TokenPrices(Base):
    """Prices per 1,000 tokens: turns ``input_tokens``/``output_tokens`` records into cost."""

    input: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = Field(
        description="Price per 1,000 input tokens."
    )
    output: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = Field(
        description="Price per 1,000 output tokens."
    )


class InferenceAction(StrEnum):
    ROLLBACK_PR = "rollback-pr"
    ISSUE = "issue"
    REPORT = "report"


class InferenceRules(Base):
    logs: RepoPath = Field(description="Repository path of the inference logs.")
    window: Duration = Field(default="24h", description="How far back to evaluate, e.g. 24h, 7d.")
    min_samples: PosInt = Field(
        default=500, description="Requests needed before the thresholds are evaluated."
    )
    thresholds: InferenceThresholds = Field(
        default_factory=InferenceThresholds,
        description="Limits on success rate, latency, confidence and cost.",
    )
    on_critical_violation: InferenceAction = Field(
        default=InferenceAction.REPORT,
        description="What to do when a threshold is broken: rollback-pr, issue or report.",
    )
    # Records without a ``cost`` are priced from their token counts when this is set.
    cost_per_thousand_tokens: TokenPrices | None = Field(
        default=None,
        description="Prices records without a cost are priced with, from their token counts.",
    )


class LifecyclePolicySpec(Base):
    deprecation: DeprecationRules = Field(
        default_factory=DeprecationRules, description="Grace periods and retirement."
    )
    inference: InferenceRules | None = Field(
        default=None, description="Inference-log thresholds and the action on a violation."
    )


class LifecyclePolicy(Base):
    """Deprecation grace periods, retirement, and inference-log thresholds."""

    api_version: Literal["galfriday/v1"] = Field(description="Always galfriday/v1.")
    kind: Literal["LifecyclePolicy"] = Field(description="Always LifecyclePolicy.")
    metadata: Metadata = Field(description="Name of the policy.")
    spec: LifecyclePolicySpec = Field(description="Deprecation rules and inference-log thresholds.")


Resource = ModelVersion | StagePolicy | Teams | Experiment | DriftPolicy | LifecyclePolicy

KINDS: dict[str, type[Base]] = {
    "ModelVersion": ModelVersion,
    "StagePolicy": StagePolicy,
    "Teams": Teams,
    "Experiment": Experiment,
    "DriftPolicy": DriftPolicy,
    "LifecyclePolicy": LifecyclePolicy,
}

# File name of each kind's JSON Schema under schemas/.
SCHEMA_FILES: dict[str, str] = {
    kind: re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower() + ".schema.json" for kind in KINDS
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind, as written to ``schemas/``."""
    schema = KINDS[kind].model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://galfriday.dev/schemas/{SCHEMA_FILES[kind]}"
    return schema
