"""The rule catalogue: every rule id the toolkit can report, in one place.

Ids are stable (reports, SARIF and suppressions refer to them); ``docs/rules.md`` is
generated from this table by ``gfops rules --markdown`` and a test keeps it in sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from galfriday_gitops.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str

    def finding(
        self, file: str, line: int, message: str, *, column: int = 1, hint: str = ""
    ) -> Finding:
        return Finding(self.id, self.severity, file, line, message, column, hint)


_E = Severity.ERROR

RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        # -- loading: the file itself
        Rule("GF100", "yaml-syntax", _E, "The file is not well-formed YAML."),
        Rule("GF101", "duplicate-key", _E, "A mapping repeats a key (at any depth)."),
        Rule("GF102", "yaml-alias", _E, "Anchors, aliases and merge keys (`<<`) are refused."),
        Rule("GF103", "yaml-tag", _E, "Explicit tags (`!!python/...`, `!!binary`, `!local`)."),
        Rule("GF104", "multi-document", _E, "A file holds exactly one YAML document."),
        Rule("GF105", "encoding", _E, "UTF-8 only: no BOM, no NUL byte, no invalid bytes."),
        Rule("GF106", "invisible-character", _E, "Bidi controls and zero-width characters."),
        Rule("GF107", "file-too-large", _E, "A resource file is larger than 256 KiB."),
        Rule("GF108", "nesting-too-deep", _E, "Nesting deeper than 32 levels."),
        Rule("GF109", "non-string-key", _E, "Mapping keys must be plain strings."),
        # -- loading: the resource
        Rule("GF110", "schema", _E, "The resource does not match its kind's schema."),
        Rule("GF111", "unknown-field", _E, "A field the schema does not know (typo?)."),
        Rule("GF112", "invalid-name", _E, "Names are 1-64 characters of [a-z0-9._-]."),
        Rule("GF113", "invalid-semver", _E, "Versions are SemVer (MAJOR.MINOR.PATCH)."),
        Rule("GF114", "invalid-stage", _E, "A stage that is not a ModelStage."),
        # -- loading: where the file is
        Rule("GF120", "path-mismatch", _E, "models/<name>/<version>.yaml must match metadata."),
        Rule("GF121", "misplaced-file", _E, "A file in a registry folder that does not belong."),
        Rule("GF122", "symlink", _E, "Symlinks under registry folders are refused."),
        Rule("GF123", "submodule", _E, "Submodules under registry folders are refused."),
        Rule("GF124", "duplicate-resource", _E, "Two resources of one kind share a name."),
        Rule("GF125", "wrong-kind", _E, "A kind in the wrong folder (e.g. a policy in models/)."),
    ]
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
