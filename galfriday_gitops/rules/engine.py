"""Run every rule over a change and assemble the verdict: allowed or blocked, and why.

The engine is the one place of the rules layer that reads: it loads both states, and
wires the context's :class:`~galfriday_gitops.rules.context.Sources` to the loaders
(history, ``.dvc`` files), so every rule is a function of its context.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import dvcio, gitio
from galfriday_gitops.catalogue import RULES, Phase, in_phase, phase_of
from galfriday_gitops.diff.events import Event, diff
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.load.gates import gate_findings
from galfriday_gitops.load.state import RegistryState, load_state, open_cache
from galfriday_gitops.paths import manifest_path
from galfriday_gitops.resources import Artifact, Experiment
from galfriday_gitops.rules import (
    approvals,
    artifacts,
    capacity,
    experiments,
    stages,
    versions,
)
from galfriday_gitops.rules.context import (
    IN_TRACKED_FOLDER,
    Context,
    Evidence,
    Side,
    Sources,
    TrackedFile,
)
from galfriday_gitops.rules.reviews import PullRequestFacts, ReviewVerdict, Tally

if TYPE_CHECKING:  # the loaders below import these only when a rule asks for them
    from galfriday_gitops import dvcobjects, dvcyaml
    from galfriday_gitops.forge.codeowners import CodeOwners
    from galfriday_gitops.load.history import ProductionPeriod

Check = Callable[[Context], list[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("GF214", stages.check_policy_applies),
    ("GF200", stages.check_transition),
    ("GF201", stages.check_initial_stage),
    ("GF217", approvals.check_review_data),
    ("GF202", approvals.check_approvals),  # also reports GF213 for guarded paths
    ("GF203", approvals.check_changes_requested),
    ("GF222", approvals.check_waived),
    ("GF224", approvals.check_code_owners),
    ("GF204", stages.check_thresholds),
    ("GF205", stages.check_required_fields),
    ("GF206", capacity.check_capacity),
    ("GF207", capacity.check_previous_holder),
    ("GF208", versions.check_immutable),
    ("GF208", artifacts.check_tracked_files),
    ("GF209", versions.check_deletion),
    ("GF210", artifacts.check_artifact),
    ("GF211", stages.check_freeze),
    ("GF212", stages.check_experiment_win),
    ("GF215", stages.check_rollout),
    ("GF216", stages.check_replacement),
    ("GF220", experiments.check_experiment_evidence),
    ("GF221", experiments.check_experiment_versions),
    ("GF230", artifacts.check_reregistration),
    ("GF231", artifacts.check_dvc_entry),
    ("GF232", artifacts.check_in_remote),
    ("GF233", artifacts.check_sha256),
    ("GF218", capacity.check_production_emptied),
)


@dataclass
class Verdict:
    base: str
    head: str
    events: list[Event]
    findings: list[Finding]
    reviews: list[ReviewVerdict] | None
    tallies: list[tuple[str, Tally]]  # (what needs approving, who approved it)

    @property
    def allowed(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def rule_status(self) -> dict[str, str]:
        """Each gate rule: failed (an error), warned (warnings only) or passed; load rules
        folded into 'schema'.

        Audit rules are not the reconciler's: they judge the trail on main, not a change.
        """
        failed = {f.rule for f in self.findings if f.severity is Severity.ERROR}
        warned = {f.rule for f in self.findings if f.severity is Severity.WARNING}
        load_failed = any(phase_of(r) is Phase.LOAD for r in failed)
        status = {"schema": "failed" if load_failed else "passed"}
        for r in in_phase(Phase.GATE):
            status[r.id] = "failed" if r.id in failed else "warned" if r.id in warned else "passed"
        return status

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "allowed" if self.allowed else "blocked",
            "base": self.base,
            "head": self.head,
            "events": [e.to_dict() for e in self.events],
            "findings": [f.to_dict() for f in self.findings],
            "rules": {
                k: {"status": v, "name": RULES[k].name if k in RULES else "schema"}
                for k, v in self.rule_status().items()
            },
            "approvals": [
                {
                    "change": what,
                    "needed": t.needed,
                    "approvers": list(t.approvers),
                    "missing": t.missing,
                    "eligible": list(t.eligible),
                    "not_counted": [{"reviewer": who, "reason": why} for who, why in t.not_counted],
                }
                for what, t in self.tallies
            ],
            "reviews": None if self.reviews is None else [r.to_dict() for r in self.reviews],
        }


def _tracked_md5(
    path: str,
    dvc_file: Callable[[str], TrackedFile | None],
    locked: dict[str, str | None],
) -> str | None:
    """The md5 DVC tracks for ``path``: its own ``.dvc`` file or ``dvc.lock`` output, else
    IN_TRACKED_FOLDER when a folder above it is one output; None when untracked."""
    parts = path.split("/")
    for depth in range(len(parts), 0, -1):
        output, name = "/".join(parts[:depth]), parts[depth - 1]
        beside = dvc_file(output + ".dvc")
        outs = {o.path.rstrip("/"): o.md5 for o in beside.outs} if beside is not None else {}
        if name not in outs and output not in locked:
            continue
        if depth < len(parts):
            return IN_TRACKED_FOLDER
        return outs.get(name) or locked.get(output) or "no md5"
    return None


def sources_for(
    repo: Path | str,
    base: RegistryState,
    head: RegistryState,
    changed_paths: Sequence[str] | None = None,
) -> Sources:
    """The real loaders: history along the base's first parents, files at head, DVC
    (``changed_paths``: the diff's paths when the caller already listed them)."""
    reader = head.reader or gitio.BlobReader(repo)
    at_head = head.rev or "HEAD"

    def read(path: str) -> bytes | None:
        try:
            return reader.read(f"{at_head}:{path}")
        except gitio.MissingObject:
            return None

    def dvc_file(path: str) -> TrackedFile | None:
        raw = read(path)
        return None if raw is None else dvcio.parse_dvc_file(raw, path)

    def periods(name: str) -> list[ProductionPeriod]:
        from galfriday_gitops.load.history import production_periods

        return production_periods(repo, name, base.rev) if base.rev is not None else []

    def code_owners(side: Side) -> CodeOwners | None:
        from galfriday_gitops.forge.codeowners import LOCATIONS
        from galfriday_gitops.forge.codeowners import parse as parse_code_owners

        state = base if side == "base" else head
        for path in LOCATIONS:  # GitHub uses the first that exists, in this order
            try:
                raw = reader.read(f"{state.rev or 'HEAD'}:{path}")
            except gitio.MissingObject:
                continue
            return parse_code_owners(path, raw)
        return None

    def evidence(experiment: Experiment) -> Evidence:
        from galfriday_gitops.experiments.evidence import recompute

        return recompute(Path(repo), experiment)

    def tracked_md5(path: str) -> str | None:
        try:
            raw = reader.read(f"{head.rev or 'HEAD'}:dvc.lock")
        except gitio.MissingObject:
            raw = None
        stages = dvcio.parse_lock(raw, "dvc.lock") if raw is not None else []
        locked = {o.path.rstrip("/"): o.md5 for stage in stages for o in stage.outs}
        return _tracked_md5(path, dvc_file, locked)

    def policy_findings(side: Side) -> list[Finding]:
        return gate_findings(base if side == "base" else head)

    def changed() -> Sequence[str]:
        if changed_paths is not None:
            return changed_paths
        return gitio.changed_paths(repo, base.rev or gitio.EMPTY_TREE, at_head)

    def dvc_artifacts() -> dict[str, dvcyaml.ArtifactEntry]:
        from galfriday_gitops import dvcyaml

        raw = read(dvcyaml.DVC_YAML)
        return {} if raw is None else dvcyaml.parse_artifacts(raw)

    def objects(md5s: Sequence[str]) -> dict[str, dvcobjects.StoredObject]:
        from galfriday_gitops import dvcobjects

        return dvcobjects.stored_objects(Path(repo), list(md5s))

    return Sources(
        production_periods=periods,
        dvc_file=dvc_file,
        code_owners=code_owners,
        experiment_evidence=evidence,
        policy_findings=policy_findings,
        tracked_md5=tracked_md5,
        changed_paths=changed,
        registered_before=lambda name, version: registered_before(repo, base, name, version),
        dvc_artifacts=dvc_artifacts,
        stored_objects=objects,
    )


def registered_before(
    repo: Path | str, base: RegistryState, name: str, version: str
) -> list[tuple[Artifact, ...] | None]:
    """The artifacts of ``name@version`` at every first-parent commit of the base that
    touched its manifest, then at every audit tag that names the version (None where the
    tag's commit holds no readable manifest: a version that cannot be told apart)."""
    from galfriday_gitops.apply import tags
    from galfriday_gitops.load.history import History

    if base.rev is None:
        return []
    path = manifest_path(name, version)
    history = History(repo, paths=[path])
    seen: list[tuple[Artifact, ...] | None] = []
    for entry in history.commits(base.rev, touching=[path]):
        found = history.state(entry.sha).get(name, version)
        if found is not None:
            seen.append(tuple(found.spec.artifacts))
    for ref in gitio.list_tags(repo, f"refs/tags/{name}@v{version}*"):
        parsed = tags.parse(ref.name)
        if parsed is None or (parsed.model, parsed.version) != (name, version):
            continue
        try:
            found = history.state(ref.target).get(name, version)
        except UserError:
            found = None
        seen.append(tuple(found.spec.artifacts) if found is not None else None)
    return seen


def context_for(
    repo: Path | str,
    base: RegistryState,
    head: RegistryState,
    events: list[Event],
    pull: PullRequestFacts | None,
    now: dt.datetime | None = None,
    changed: Sequence[str] | None = None,
) -> Context:
    """The context of one change, wired to this repository's loaders (``changed``: every
    path the change touches, when the caller has listed them already)."""
    ctx = Context(base, head, events, pull, sources_for(repo, base, head, changed))
    if now is not None:
        ctx.now = now
    return ctx


def judge(ctx: Context) -> list[Finding]:
    """Head load findings (its policies' gates too) plus every rule's findings."""
    findings = [*ctx.head.findings, *ctx.policy_findings("head")]
    for _, check in CHECKS:
        findings.extend(check(ctx))
    return findings


def reconcile(
    repo: Path,
    base: str,
    head: str,
    pull: PullRequestFacts | None,
    now: dt.datetime | None = None,
) -> Verdict:
    """Load both revisions from git objects, diff them, run the rules (base policies).

    When ``head`` is not built on ``base`` (a pull request whose branch is behind), it is
    judged as the merge result, exactly what would land: the events are what the PR
    brings to today's base, and whole-state rules see the merged registry.
    """
    base_sha, head_sha = gitio.rev_parse(repo, base), gitio.rev_parse(repo, head)
    if not gitio.is_ancestor(repo, base_sha, head_sha):
        head_sha = gitio.merge_result(repo, base_sha, head_sha)
    blobs = open_cache(repo)  # one cache for both: most blobs are shared
    base_state = load_state(repo, base_sha, blob_cache=blobs)
    head_state = load_state(repo, head_sha, blob_cache=blobs)
    assert base_state.rev is not None and head_state.rev is not None
    extra = gitio.changed_paths(repo, base_state.rev, head_state.rev)
    events = diff(base_state, head_state, extra)
    ctx = context_for(repo, base_state, head_state, events, pull, now, extra)
    findings = judge(ctx)
    return Verdict(
        base_state.rev, head_state.rev, events, findings, ctx.reviews, approvals.tallies(ctx)
    )
