"""Plain YAML data -> a typed resource, or findings that name the exact line and fix.

Pydantic's errors are precise but written for programmers; this module turns each
one into a finding a data scientist can act on: the field as written in YAML, the
line, what was expected, and a "did you mean" where a typo is likely.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.safe_yaml import Document, Path
from galfriday_gitops.resources import API_VERSION, KINDS, ModelStage, Resource

_STAGES = [s.value for s in ModelStage]
_SEMVER_FIELDS = frozenset({"version", "parent", "control", "treatment", "replacement", "winner"})
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "date_type": "a date (YYYY-MM-DD)",
    "datetime_type": "a timestamp (YYYY-MM-DDTHH:MM:SSZ)",
}


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; for unions prefer the model member."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = (models or members)[0]
        else:
            return tp


def _model_at(cls: type[BaseModel], path: Path) -> type[BaseModel] | None:
    tp: Any = cls
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            tp = fields[part].annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _allowed_keys(cls: type[BaseModel], path: Path) -> list[str]:
    model = _model_at(cls, path)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"did you mean {close[0]!r}?" if close else ""


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Keep the loc parts that index real data; drop pydantic's union-branch labels."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
    return tuple(path)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a string"


def _explain(err: Any, cls: type[BaseModel], data: Any) -> tuple[str, str, str, Path]:
    """(rule id, message, hint, data path) for one pydantic error."""
    loc: tuple[int | str, ...] = tuple(err["loc"])
    kind: str = err["type"]
    value = err.get("input")
    path = _data_path(data, loc)
    where = _dotted(path)
    if kind == "extra_forbidden":
        parent, field = path[:-1], str(path[-1]) if path else "?"
        allowed = _allowed_keys(cls, parent)
        hint = _suggest(field, allowed) or (f"allowed: {', '.join(allowed)}" if allowed else "")
        return "GF111", f"unknown field {field!r} in {_dotted(parent)}", hint, path
    if kind == "gf_name":
        return "GF112", f"{where}: {err['msg']}", "", path
    if kind == "gf_artifact_path":
        return "GF120", f"spec.artifacts: {err['msg']}", "", ("spec", "artifacts")
    if kind == "gf_semver":
        hint = 'quote it: version: "1.10.0"' if isinstance(value, float) else ""
        return "GF113", f"{where}: {err['msg']}", hint, path
    if kind == "enum" and "'production'" in str(err["msg"]):
        hint = _suggest(value, _STAGES) if isinstance(value, str) else ""
        if not isinstance(value, str):
            hint = f"YAML read this as {_yaml_type(value)} ({value!r}); write a stage name"
        return (
            "GF114",
            f"{where}: {value!r} is not a stage; expected one of {', '.join(_STAGES)}",
            hint,
            path,
        )
    if kind == "missing":
        return "GF110", f"{where}: missing required field {str(loc[-1])!r}", "", path
    if kind == "string_type" and path and path[-1] in _SEMVER_FIELDS and not isinstance(value, str):
        return (
            "GF113",
            f'{where}: expected a SemVer string such as "1.10.0", got {_yaml_type(value)} '
            f"({value!r})",
            "quote versions: YAML reads 1.10 as the number 1.1",
            path,
        )
    if kind.endswith("_type") and not isinstance(value, (dict, list)):
        expected = _EXPECTED.get(kind, kind.removesuffix("_type").replace("_", " "))
        hint = ""
        if kind == "string_type" and isinstance(value, (bool, int, float, dt.date)):
            hint = f"YAML read {value!r} as {_yaml_type(value)}; quote it to make it a string"
        return (
            "GF110",
            f"{where}: expected {expected}, got {_yaml_type(value)} ({value!r})",
            hint,
            path,
        )
    if kind == "finite_number":
        return "GF110", f"{where}: NaN and infinity are not allowed here", "", path
    return "GF110", f"{where}: {err['msg']}", "", path


def _resource_errors(
    exc: ValidationError, cls: type[BaseModel], data: Any, doc: Document, file: str
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[Path, str]] = set()
    for err in exc.errors(include_url=False):
        rule_id, message, hint, path = _explain(err, cls, data)
        if (path, rule_id) in seen:  # one finding per place: unions report every branch
            continue
        seen.add((path, rule_id))
        line, column = doc.line_of(path)
        findings.append(rule(rule_id).finding(file, line, message, column=column, hint=hint))
    return findings


def to_resource(
    doc: Document, file: str, allowed_kinds: frozenset[str] | None = None
) -> tuple[Resource | None, list[Finding]]:
    """Validate a parsed document as one of the registry's kinds."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [
            rule("GF110").finding(
                file, 1, "expected a mapping with apiVersion, kind, metadata and spec"
            )
        ]
    line_of = doc.line_of
    api = data.get("apiVersion")
    if api != API_VERSION:
        line, _ = line_of(("apiVersion",))
        got = "missing" if api is None else repr(api)
        return None, [
            rule("GF110").finding(file, line, f"apiVersion must be {API_VERSION!r}; got {got}")
        ]
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        line, _ = line_of(("kind",))
        return None, [
            rule("GF110").finding(
                file,
                line,
                f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}",
                hint=_suggest(str(kind), list(KINDS)),
            )
        ]
    if allowed_kinds is not None and kind not in allowed_kinds:
        line, _ = line_of(("kind",))
        return None, [
            rule("GF125").finding(
                file,
                line,
                f"a {kind} does not belong here; expected {' or '.join(sorted(allowed_kinds))}",
            )
        ]
    cls = KINDS[kind]
    try:
        resource: Resource = cls.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        return None, _resource_errors(exc, cls, data, doc, file)
    return resource, []
