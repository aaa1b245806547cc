"""A finding: one rule's verdict on one place, the currency of the whole pipeline."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Control characters escaped, so a crafted file name cannot start a new output line
    (in GitHub Actions a line starting with ``::`` is a workflow command)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Severity(StrEnum):
    ERROR = "error"  # blocks the merge
    WARNING = "warning"  # shown, does not block
    NOTE = "note"  # informational (a rule that passed, a review that did not count)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule says about one place: machine-readable id, human message, a hint."""

    rule: str
    severity: Severity
    file: str
    line: int
    message: str
    column: int = 1
    hint: str = ""

    def at(self, file: str) -> Finding:
        return replace(self, file=file)

    def one_line(self) -> str:
        """One line, whatever the file name or message holds (paths come from the head)."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return printable(f"{self.file}:{self.line}:{self.column}: {self.rule} {self.message}{hint}")

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            severity=Severity(str(data["severity"])),
            file=str(data["file"]),
            line=int(str(data["line"])),
            column=int(str(data["column"])),
            message=str(data["message"]),
            hint=str(data.get("hint", "")),
        )


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]
