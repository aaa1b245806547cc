"""The registry's resources: the single source of truth for every YAML kind.

Every kind is ``apiVersion: galfriday/v1`` with ``kind``, ``metadata`` and ``spec``.
Types are strict on purpose: YAML 1.1 turns ``no`` into a boolean, ``1.10`` into a
float and an all-digit md5 into an integer; none of that may slip through as a string.
The JSON Schemas in ``schemas/`` are generated from these models (``gfops schema --write``).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from galfriday_gitops import paths
from galfriday_gitops.semver import SEMVER_PATTERN, is_semver

if TYPE_CHECKING:
    from galfriday_gitops.stats.multitest import Method

API_VERSION = "galfriday/v1"


class ModelStage(StrEnum):
    """Where a model version is in its life. The only place stage names are spelled."""

    DEVELOPMENT = "development"
    TESTING = "testing"
    STAGING = "staging"
    CANARY = "canary"
    PRODUCTION = "production"
    DEPRECATED = "deprecated"
    RETIRED = "retired"
    ARCHIVED = "archived"

    @property
    def is_live(self) -> bool:
        """Serving traffic: deleting or renaming such a version breaks consumers."""
        return self in (ModelStage.CANARY, ModelStage.PRODUCTION)


def _check_name(value: str) -> str:
    if not paths.is_name(value):
        raise PydanticCustomError(
            "gf_name",
            "{value!r} is not a valid name: use 1-64 characters from [a-z0-9._-], "
            "starting with a letter or digit",
            {"value": value},
        )
    return value


def _check_semver(value: str) -> str:
    if not is_semver(value):
        raise PydanticCustomError(
            "gf_semver",
            "{value!r} is not a SemVer version: expected MAJOR.MINOR.PATCH such as 1.2.0",
            {"value": value},
        )
    return value


def _check_repo_path(value: str) -> str:
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise PydanticCustomError(
            "gf_path", "{value!r} must be a relative path inside the repository", {"value": value}
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
DateTime = Annotated[dt.datetime, Strict()]
Name = Annotated[str, Strict(), AfterValidator(_check_name)]
SemVer = Annotated[
    str,
    Strict(),
    AfterValidator(_check_semver),
    Field(json_schema_extra={"pattern": SEMVER_PATTERN}),
]
Md5 = Annotated[str, Strict(), Field(pattern=r"^[0-9a-f]{32}$")]
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
    name: Name
    description: Str | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[LabelKey, Str] = Field(default_factory=dict)


class VersionMetadata(Metadata):
    version: SemVer


# ---------------------------------------------------------------- ModelVersion


class DataWindow(Base):
    start: Date
    end: Date

    @model_validator(mode="after")
    def _ordered(self) -> DataWindow:
        if self.end < self.start:
            raise PydanticCustomError("gf_window", "dataWindow.end is before dataWindow.start")
        return self


class Training(Base):
    data_window: DataWindow | None = None
    samples: NonNegInt | None = None
    trained_at: DateTime | None = None
    trained_by: ShortStr | None = None
    code_commit: GitSha | None = None
    params: dict[Annotated[str, Strict()], Scalar] = Field(default_factory=dict)


class Metrics(Base):
    validation: dict[MetricName, Number] = Field(default_factory=dict)
    test: dict[MetricName, Number] = Field(default_factory=dict)

    def get(self, ref: str) -> float | None:
        """Look up ``"test.accuracy"``-style references."""
        split, _, metric = ref.partition(".")
        table = self.validation if split == "validation" else self.test if split == "test" else {}
        return table.get(metric)


class Lineage(Base):
    parent: SemVer | None = None
    experiment: Name | None = None
    retraining: Str | None = None


class Artifact(Base):
    path: RepoPath
    md5: Md5
    size: NonNegInt


class Deprecation(Base):
    reason: ShortStr
    replacement: SemVer | None = None
    end_of_life: Date
    deprecated_on: Date | None = None


class Rollout(Base):
    traffic_percent: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=100)]


class ModelVersionSpec(Base):
    stage: ModelStage
    model_type: ShortStr
    framework: ShortStr
    target: ShortStr | None = None
    features: list[FeatureName] = Field(default_factory=list)
    hyperparameters: dict[Annotated[str, Strict()], Scalar] = Field(default_factory=dict)
    training: Training = Field(default_factory=Training)
    metrics: Metrics = Field(default_factory=Metrics)
    lineage: Lineage = Field(default_factory=Lineage)
    artifacts: list[Artifact] = Field(min_length=1)
    deprecation: Deprecation | None = None
    rollout: Rollout | None = None
    tags: list[ShortStr] = Field(default_factory=list)


class ModelVersion(Base):
    """One registered version of one model: ``models/<name>/<version>.yaml``."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["ModelVersion"]
    metadata: VersionMetadata
    spec: ModelVersionSpec

    @model_validator(mode="after")
    def _artifacts_in_version_folder(self) -> ModelVersion:
        prefix = paths.artifact_dir(self.metadata.name, self.metadata.version) + "/"
        for artifact in self.spec.artifacts:
            if not artifact.path.startswith(prefix) or "*" in artifact.path:
                raise PydanticCustomError(
                    "gf_artifact_path",
                    "artifact {path!r} must live under {prefix}",
                    {"path": artifact.path, "prefix": prefix},
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
    models: list[Glob] = Field(default_factory=lambda: ["*"])
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)


class Approvals(Base):
    count: NonNegInt
    from_: list[Name] = Field(default_factory=list, alias="from")
    users: list[Login] = Field(default_factory=list)
    code_owners: Bool = False


class Threshold(Base):
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Threshold:
        if self.min is None and self.max is None:
            raise PydanticCustomError("gf_threshold", "a threshold needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("gf_threshold", "threshold min is greater than max")
        return self


class RolloutLimit(Base):
    max_traffic_percent: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=100)]


class StageRules(Base):
    approvals: Approvals | None = None
    thresholds: dict[MetricRef, Threshold] = Field(default_factory=dict)
    required_fields: list[FieldPath] = Field(default_factory=list)
    capacity: PosInt | None = None
    rollout: RolloutLimit | None = None
    previous_holder: ModelStage | None = None
    require_experiment_win: Bool = False


class FreezeWindow(Base):
    from_: Date = Field(alias="from")
    to: Date
    stages: list[ModelStage] = Field(min_length=1)
    reason: ShortStr

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.to < self.from_:
            raise PydanticCustomError("gf_window", "freeze window 'to' is before 'from'")
        return self


class StagePolicySpec(Base):
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    owners: list[Name] = Field(min_length=1)
    initial_stage: ModelStage = ModelStage.DEVELOPMENT
    transitions: dict[ModelStage, list[ModelStage]]
    stages: dict[ModelStage, StageRules] = Field(default_factory=dict)
    freeze: list[FreezeWindow] = Field(default_factory=list)


class StagePolicy(Base):
    """How versions may move between stages; judged at a pull request's base."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["StagePolicy"]
    metadata: Metadata
    spec: StagePolicySpec


# ---------------------------------------------------------------- Teams


class Automation(Base):
    login: Login
    tagger: ShortStr
    allowed_signers: RepoPath | None = None


class TeamsSpec(Base):
    teams: dict[Name, list[Login]]
    automation: Automation | None = None


class Teams(Base):
    """Who belongs to which team, so approvals are checked without org-admin tokens."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["Teams"]
    metadata: Metadata
    spec: TeamsSpec


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
    strategy: AllocationStrategy
    split: dict[Variant, Fraction] = Field(default_factory=_even_split)
    epsilon: Fraction | None = None

    @model_validator(mode="after")
    def _sums_to_one(self) -> Allocation:
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
    name: MetricName
    kind: MetricKind
    direction: Direction
    denominator: MetricName | None = None
    covariate: FeatureName | None = None


class Guardrail(MetricDecl):
    max_loss: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)]


class ExperimentMetrics(Base):
    primary: MetricDecl
    secondary: list[MetricDecl] = Field(default_factory=list)
    guardrails: list[Guardrail] = Field(default_factory=list)


class Correction(StrEnum):
    HOLM = "holm"
    BENJAMINI_HOCHBERG = "benjamini-hochberg"
    BONFERRONI = "bonferroni"
    NONE = "none"

    @property
    def method(self) -> Method:
        """The same correction in statsmodels' words (:mod:`galfriday_gitops.stats.multitest`)."""
        return _METHODS[self]


_METHODS: dict[Correction, Method] = {
    Correction.HOLM: "holm",
    Correction.BENJAMINI_HOCHBERG: "fdr_bh",
    Correction.BONFERRONI: "bonferroni",
    Correction.NONE: "none",
}


class Design(Base):
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=0.5)] = 0.05
    power: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = 0.8
    minimum_detectable_effect: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)]
    min_samples_per_variant: PosInt = 100
    sequential: Bool = False
    correction: Correction = Correction.HOLM


class ExperimentWindow(Base):
    start: Date
    end: Date | None = None


class ExperimentStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    CONCLUDED = "concluded"
    STOPPED = "stopped"


class ExperimentOutcome(Base):
    winner: SemVer | None
    decision: ShortStr
    concluded_at: DateTime
    data_md5: Md5
    samples: dict[Literal["control", "treatment"], NonNegInt]
    relative_lift: Number | None = None
    ci: list[Number] = Field(default_factory=list, max_length=2)
    p_value: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=1)] | None = None
    chance_to_win: Fraction | None = None
    srm_p_value: Fraction | None = None


class ExperimentSpec(Base):
    model: Name
    control: SemVer
    treatment: SemVer
    allocation: Allocation
    unit: FeatureName
    metrics: ExperimentMetrics
    design: Design
    window: ExperimentWindow
    data: RepoPath
    status: ExperimentStatus
    result: ExperimentOutcome | None = None

    @model_validator(mode="after")
    def _distinct(self) -> ExperimentSpec:
        if self.control == self.treatment:
            raise PydanticCustomError("gf_experiment", "control and treatment are the same version")
        if self.status is ExperimentStatus.CONCLUDED and self.result is None:
            raise PydanticCustomError("gf_experiment", "a concluded experiment needs a result")
        return self


class Experiment(Base):
    """An A/B, bandit or shadow comparison between two versions of one model."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["Experiment"]
    metadata: Metadata
    spec: ExperimentSpec


# ---------------------------------------------------------------- DriftPolicy


class AlphaTest(Base):
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = 0.05


class EffectMinimum(Base):
    """An effect size a significant feature must also reach to count as drifted."""

    min: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)]

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
    ks: AlphaTest | None = Field(default_factory=AlphaTest)
    wasserstein: EffectMinimum | None = None
    psi: EffectMinimum | None = None


class CategoricalTests(Base):
    chi2: AlphaTest | None = Field(default_factory=AlphaTest)
    jensenshannon: EffectMinimum | None = None


class DriftTests(Base):
    numeric: NumericTests = Field(default_factory=NumericTests)
    categorical: CategoricalTests = Field(default_factory=CategoricalTests)


class DriftFeatures(Base):
    numeric: list[FeatureName] = Field(default_factory=list)
    categorical: list[FeatureName] = Field(default_factory=list)


class DatasetDrift(Base):
    share: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = 0.3


class PerformanceCheck(Base):
    labels: FeatureName
    metric: MetricName
    max_drop: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)]


class MultivariateCheck(Base):
    """PCA reconstruction error of the numeric features, permutation-calibrated."""

    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = 0.05
    variance_explained: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = 0.9
    permutations: Annotated[int, Strict(), Field(ge=19, le=100_000)] = 499
    seed: NonNegInt = 0

    @model_validator(mode="after")
    def _enough_permutations(self) -> MultivariateCheck:
        if self.alpha * (self.permutations + 1) < 1:
            raise PydanticCustomError(
                "gf_permutations", "permutations must be at least 1/alpha - 1 to reach alpha"
            )
        return self


class Adwin(Base):
    """ADWIN on the error stream (defaults as in river and MOA)."""

    delta: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, lt=1)] = 0.002
    clock: PosInt = 32


class PageHinkley(Base):
    """Page-Hinkley on the error stream (defaults: galfriday_gitops.stats.streaming)."""

    delta: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] = 0.01
    threshold: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] = 50.0
    alpha: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0, le=1)] = 1.0
    min_instances: PosInt = 30
    direction: Literal["both", "up", "down"] = "both"


class ErrorStream(Base):
    """Streaming detectors on the production version's errors in its inference logs."""

    logs: RepoPath
    window: Duration | None = None
    adwin: Adwin | None = None
    page_hinkley: PageHinkley | None = None

    @model_validator(mode="after")
    def _a_detector(self) -> ErrorStream:
        if self.adwin is None and self.page_hinkley is None:
            raise PydanticCustomError("gf_detector", "errorStream needs adwin, pageHinkley or both")
        return self


class DriftAction(StrEnum):
    RETRAINING_PR = "retraining-pr"
    ISSUE = "issue"
    REPORT = "report"


class DriftPolicySpec(Base):
    model: Name
    reference: RepoPath
    current: RepoPath
    features: DriftFeatures
    tests: DriftTests = Field(default_factory=DriftTests)
    correction: Correction = Correction.BENJAMINI_HOCHBERG
    min_samples: PosInt = 30
    dataset_drift: DatasetDrift = Field(default_factory=DatasetDrift)
    multivariate: MultivariateCheck | None = None
    performance: PerformanceCheck | None = None
    error_stream: ErrorStream | None = None
    on_drift: DriftAction = DriftAction.REPORT


class DriftPolicy(Base):
    """What the scheduled drift job checks for one model, and what it does on drift."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["DriftPolicy"]
    metadata: Metadata
    spec: DriftPolicySpec


# ---------------------------------------------------------------- LifecyclePolicy


class DeprecationRules(Base):
    grace_period_days: PosInt = 90
    warn_days_before_eol: NonNegInt = 30
    critical_days_before_eol: NonNegInt = 7
    auto_retire: Bool = False
    require_replacement: Bool = True


class InferenceThresholds(Base):
    min_success_rate: Fraction | None = None
    max_error_rate: Fraction | None = None
    max_p95_latency_ms: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] | None = None
    max_p99_latency_ms: Annotated[float, Strict(), AllowInfNan(False), Field(gt=0)] | None = None
    min_mean_confidence: Fraction | None = None
    max_cost_per_request: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)] | None = None


class TokenPrices(Base):
    """Prices per 1,000 tokens: turns ``input_tokens``/``output_tokens`` records into cost."""

    input: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)]
    output: Annotated[float, Strict(), AllowInfNan(False), Field(ge=0)]


class InferenceAction(StrEnum):
    ROLLBACK_PR = "rollback-pr"
    ISSUE = "issue"
    REPORT = "report"


class InferenceRules(Base):
    logs: RepoPath
    window: Duration = "24h"
    min_samples: PosInt = 500
    thresholds: InferenceThresholds = Field(default_factory=InferenceThresholds)
    on_critical_violation: InferenceAction = InferenceAction.REPORT
    # Records without a ``cost`` are priced from their token counts when this is set.
    cost_per_thousand_tokens: TokenPrices | None = None


class LifecyclePolicySpec(Base):
    deprecation: DeprecationRules = Field(default_factory=DeprecationRules)
    inference: InferenceRules | None = None


class LifecyclePolicy(Base):
    """Deprecation grace periods, retirement, and inference-log thresholds."""

    api_version: Literal["galfriday/v1"]
    kind: Literal["LifecyclePolicy"]
    metadata: Metadata
    spec: LifecyclePolicySpec


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
