"""The rule catalogue: every rule has a phase, and reports group rules by phase, not by id."""

from __future__ import annotations

from galfriday_gitops.catalogue import RULES, Phase, in_phase, phase_of, rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.rules.engine import Verdict


def _verdict(*findings: Finding) -> Verdict:
    return Verdict("base", "head", [], list(findings), None, [])


def test_every_rule_has_exactly_one_phase() -> None:
    by_phase = {phase: {r.id for r in in_phase(phase)} for phase in Phase}
    assert set().union(*by_phase.values()) == set(RULES)
    assert sum(len(ids) for ids in by_phase.values()) == len(RULES)
    assert "GF100" in by_phase[Phase.LOAD] and "GF125" in by_phase[Phase.LOAD]
    assert "GF200" in by_phase[Phase.GATE] and "GF290" in by_phase[Phase.GATE]
    assert "GF300" in by_phase[Phase.AUDIT] and "GF307" in by_phase[Phase.AUDIT]


def test_phase_of_an_unknown_id_is_none() -> None:
    assert phase_of("GF999") is None
    assert phase_of("schema") is None
    assert phase_of("GF212") is Phase.GATE  # positive control


def test_rule_status_lists_the_gate_rules_and_folds_load_rules_into_schema() -> None:
    status = _verdict().rule_status()
    assert set(status) == {"schema"} | {r.id for r in in_phase(Phase.GATE)}
    assert set(status.values()) == {"passed"}


def test_a_load_finding_fails_schema_and_no_gate_rule() -> None:
    status = _verdict(rule("GF112").finding("models/x/1.0.0.yaml", 1, "bad name")).rule_status()
    assert status["schema"] == "failed"
    assert {k for k, v in status.items() if v == "failed"} == {"schema"}


def test_a_gate_finding_fails_its_rule_only() -> None:
    status = _verdict(rule("GF206").finding("models/x/1.0.0.yaml", 3, "over")).rule_status()
    assert {k for k, v in status.items() if v == "failed"} == {"GF206"}


def test_an_audit_finding_is_not_a_gate_result() -> None:
    verdict = _verdict(rule("GF300").finding("models/x/1.0.0.yaml", 1, "untagged"))
    status = verdict.rule_status()
    assert "GF300" not in status
    assert set(status.values()) == {"passed"}
    assert not verdict.allowed  # still an error: the verdict sees every finding
