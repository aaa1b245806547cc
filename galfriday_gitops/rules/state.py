"""Main's whole-state invariants, judged on one revision by its own policies.

The gate judges a change by the policies of its base, so a change *to* the policies
(capacity lowered, a stage dropped from the graph) is never measured against what it
brings. After it lands, main's state must still hold under the policies now in force:
``apply`` checks that on every commit it records, ``audit verify`` on every commit of main.

Only ``models`` are checked (the models a commit touched, or every model when it changed
the policies): a state that was fine stays fine until one of those changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import ModelVersion, StagePolicy
from galfriday_gitops.rules.capacity import capacity_findings


def graph_stages(policy: StagePolicy) -> set[str]:
    """Every stage a policy's graph knows: the initial stage, each source and target."""
    stages = {policy.spec.initial_stage.value}
    for source, targets in policy.spec.transitions.items():
        stages.add(source.value)
        stages.update(t.value for t in targets)
    return stages


def _outside_graph(state: RegistryState, version: ModelVersion) -> Finding | None:
    policy = state.policy_for(version)
    if policy is None:
        return None  # none or several: the gate's GF214 speaks for that
    known = graph_stages(policy)
    if version.stage.value in known:
        return None
    path = state.path_of(version)
    return rule("GF312").finding(
        path,
        state.line_of(path, ("spec", "stage")),
        f"{version.ref} is in {version.stage.value}, a stage the graph of policy "
        f"{policy.metadata.name} does not have ({', '.join(sorted(known))})",
        hint="move it to a stage of the graph, or give the graph that stage",
    )


def state_findings(state: RegistryState, models: Iterable[str]) -> list[Finding]:
    """The invariants of ``models`` at ``state`` under its own policies: capacity per stage
    (GF206) and every version in a stage of its policy's graph (GF312)."""
    names = sorted(set(models) & set(state.models()))
    findings = capacity_findings(state, state, names, set())
    for name in names:
        for version in state.versions_of(name):
            found = _outside_graph(state, version)
            if found is not None:
                findings.append(found)
    return findings
