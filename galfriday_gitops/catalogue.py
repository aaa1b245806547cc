"""The rule catalogue: every rule id the toolkit can report, in one place.

Ids are stable (reports, SARIF and suppressions refer to them); ``docs/rules.md`` is
generated from this table by ``gfops rules --markdown`` and a test keeps it in sync.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.rule_docs import DOCS


class Phase(StrEnum):
    """When a rule is checked; reports group rules by phase, never by their ids."""

    LOAD = "load"  # reading a revision: the file, the resource, where it lives ("schema")
    GATE = "gate"  # the reconciler judging a change (`gfops check`, the records of `apply`)
    AUDIT = "audit"  # the trail on main, checked by `gfops audit verify`


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    phase: Phase
    docs: str = ""  # what the rule checks and how to fix it (docs/rules.md, SARIF help)

    def finding(
        self, file: str, line: int, message: str, *, column: int = 1, hint: str = ""
    ) -> Finding:
        return Finding(self.id, self.severity, file, line, message, column, hint)


_E = Severity.ERROR


def _phase(phase: Phase, *rows: tuple[str, str, Severity, str]) -> list[Rule]:
    """The rules of one phase: (id, name, severity, summary) each."""
    return [
        Rule(rule_id, name, severity, summary, phase) for rule_id, name, severity, summary in rows
    ]


RULES: dict[str, Rule] = {
    r.id: replace(r, docs=DOCS[r.id])
    for r in [
        *_phase(
            Phase.LOAD,
            # -- loading: the file itself
            ("GF100", "yaml-syntax", _E, "The file is not well-formed YAML."),
            ("GF101", "duplicate-key", _E, "A mapping repeats a key (at any depth)."),
            ("GF102", "yaml-alias", _E, "Anchors, aliases and merge keys (`<<`) are refused."),
            ("GF103", "yaml-tag", _E, "Explicit tags (`!!python/...`, `!!binary`, `!local`)."),
            ("GF104", "multi-document", _E, "A file holds exactly one YAML document."),
            ("GF105", "encoding", _E, "UTF-8 only: no BOM, no NUL byte, no invalid bytes."),
            ("GF106", "invisible-character", _E, "Bidi controls and zero-width characters."),
            ("GF107", "file-too-large", _E, "A resource file is larger than 256 KiB."),
            ("GF108", "nesting-too-deep", _E, "Nesting deeper than 32 levels."),
            ("GF109", "non-string-key", _E, "Mapping keys must be plain strings."),
            # -- loading: the resource
            ("GF110", "schema", _E, "The resource does not match its kind's schema."),
            ("GF111", "unknown-field", _E, "A field the schema does not know (typo?)."),
            ("GF112", "invalid-name", _E, "Names are 1-64 characters of [a-z0-9._-]."),
            ("GF113", "invalid-semver", _E, "Versions are SemVer (MAJOR.MINOR.PATCH)."),
            ("GF114", "invalid-stage", _E, "A stage that is not a ModelStage."),
            (
                "GF115",
                "unsatisfiable-gate",
                _E,
                "A protected stage needs no approval, or a count its approvers cannot reach "
                "without the author.",
            ),
            ("GF116", "unknown-team", _E, "A policy names a team the Teams resource lacks."),
            # -- loading: where the file is
            ("GF120", "path-mismatch", _E, "models/<name>/<version>.yaml must match metadata."),
            ("GF121", "misplaced-file", _E, "A file in a registry folder that does not belong."),
            ("GF122", "symlink", _E, "Symlinks under registry folders are refused."),
            ("GF123", "submodule", _E, "Submodules under registry folders are refused."),
            ("GF124", "duplicate-resource", _E, "Two resources of one kind share a name."),
            ("GF125", "wrong-kind", _E, "A kind in the wrong folder (e.g. a policy in models/)."),
        ),
        *_phase(
            Phase.GATE,
            # -- reconciler: judged with the BASE revision's policies and teams
            ("GF200", "transition", _E, "A stage change follows the policy's graph (no skips)."),
            ("GF201", "initial-stage", _E, "A new version enters at the policy's initialStage."),
            ("GF202", "approvals", _E, "The target stage's approvals: count, teams, fresh."),
            (
                "GF203",
                "changes-requested",
                _E,
                "An eligible reviewer's latest review asks changes.",
            ),
            (
                "GF204",
                "thresholds",
                _E,
                "Metric thresholds of the target stage (NaN never passes).",
            ),
            ("GF205", "required-fields", _E, "Fields the target stage requires are present."),
            ("GF206", "capacity", _E, "Versions per stage per model, on the merged (head) state."),
            ("GF207", "previous-holder", _E, "The replaced version moves where the policy says."),
            ("GF208", "immutable", _E, "A registered version's facts never change, its .dvc too."),
            ("GF209", "deletion", _E, "Deleting/renaming a version only after it is archived."),
            ("GF210", "artifact", _E, "The .dvc tracks exactly the artifact, same md5 and size."),
            ("GF211", "freeze", _E, "No promotion into a frozen stage during a freeze window."),
            (
                "GF212",
                "experiment-win",
                _E,
                "A concluded experiment (at base) won by this version; a model's first "
                "production version and a rollback to one that served before are exempt.",
            ),
            (
                "GF213",
                "policy-guard",
                _E,
                "Changes to governed paths (policies/, experiments/, .github/, CODEOWNERS, "
                ".gitattributes, DVC's configuration) need the owners' OK.",
            ),
            ("GF214", "policy-applies", _E, "Exactly one valid stage policy governs each change."),
            ("GF215", "rollout", _E, "A canary has a traffic share within the limit; no other."),
            ("GF216", "replacement", _E, "A deprecated version names a live replacement."),
            ("GF217", "review-data", _E, "Review data is available and complete (fail closed)."),
            ("GF230", "reregistration", _E, "A version number never returns with other bytes."),
            ("GF231", "dvc-artifact-entry", _E, "dvc.yaml's artifact entry names the new file."),
            ("GF232", "artifact-in-remote", _E, "Where the stage asks, the artifact is in remote."),
            ("GF233", "artifact-sha256", _E, "sha256 recorded; reachable bytes match md5+sha256."),
            (
                "GF218",
                "production-emptied",
                Severity.WARNING,
                "Warns when a change leaves a model with no production version.",
            ),
            (
                "GF220",
                "experiment-evidence",
                _E,
                "A concluded experiment's result is what its data, at the recorded hash, says.",
            ),
            (
                "GF221",
                "experiment-versions",
                _E,
                "Experiments compare existing, non-archived versions; a running experiment's "
                "versions stay.",
            ),
            (
                "GF222",
                "approvals-waived",
                Severity.NOTE,
                "A version enters a protected stage whose policy waives approvals (and says why).",
            ),
            (
                "GF223",
                "merge-group",
                _E,
                "A merge group sits on main's head (or queued groups on it), PR by PR.",
            ),
            (
                "GF224",
                "codeowners",
                _E,
                "CODEOWNERS lines are valid and its owners resolve to known people.",
            ),
            (
                "GF290",
                "internal-error",
                _E,
                "The reconciler could not finish: the change is blocked.",
            ),
        ),
        *_phase(
            Phase.AUDIT,
            # -- audit: the trail of tags written by `gfops apply`, checked by `gfops audit verify`
            ("GF300", "untagged-change", _E, "A change on main has no audit tag (direct push?)."),
            ("GF301", "unapproved-change", _E, "A stage change on main had no approved PR."),
            ("GF302", "tag-off-main", _E, "An audit tag points off main (force push, rewrite)."),
            ("GF303", "tagger", _E, "An audit tag's tagger is not the automation identity."),
            ("GF304", "tag-signature", _E, "An audit tag's signature is missing or not allowed."),
            ("GF305", "forged-tag", _E, "An audit tag does not match the commit's events."),
            ("GF306", "hash-chain", _E, "A model's tag chain is broken (tag deleted/re-created)."),
            ("GF307", "backdated-tag", _E, "An audit tag is dated before the commit it records."),
            (
                "GF308",
                "blocked-change",
                _E,
                "A commit on main that the gate blocks (a reconciler rule fails on it, with its "
                "pull request's reviews): protection was bypassed or a check was stale.",
            ),
            (
                "GF309",
                "unapproved-governed-change",
                _E,
                "A change to a governed path (policies/, experiments/, .github/, "
                ".gitattributes, a registered version's .dvc file) without an approved PR.",
            ),
            (
                "GF310",
                "foreign-tag",
                _E,
                "A tag GTO or DVC reads for a registry model (GTO's simple `name#stage`, "
                "`name@deprecated`, ...) that gfops apply did not write.",
            ),
            (
                "GF311",
                "unverifiable-records",
                _E,
                "Audit records are unsigned and no allowedSigners are configured: anyone who "
                "can push a tag could have written them (exit status 3).",
            ),
            (
                "GF312",
                "stage-outside-graph",
                _E,
                "A version sits in a stage its policy's graph does not have (main's state, "
                "judged by its own policies).",
            ),
            (
                "GF313",
                "demo-signing-key",
                Severity.WARNING,
                "The allowed signers trust the demo key, whose private half is published: "
                "its signatures prove nothing.",
            ),
        ),
    ]
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def in_phase(phase: Phase) -> list[Rule]:
    """The rules of one phase, in catalogue order."""
    return [r for r in RULES.values() if r.phase is phase]


def phase_of(rule_id: str) -> Phase | None:
    """The phase of a rule id (None for an id the catalogue does not know)."""
    found = RULES.get(rule_id)
    return found.phase if found is not None else None
