"""Validate HTTP traffic against GitHub's published OpenAPI description (@octokit/openapi).

The description is OpenAPI 3.0.3, whose schema objects are a JSON Schema draft-4/5 dialect
plus ``nullable``. We convert ``nullable: true`` into a JSON-Schema ``null`` alternative once,
then validate with ``jsonschema``'s Draft 4 validator (draft 4 keeps OpenAPI 3.0's rule that
``$ref`` replaces its siblings). ``$ref``s resolve through a ``referencing`` registry holding
the whole converted document; one validator per (operation, request/response, status) is
built on first use and cached.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT4

DOC_URI = "urn:galfriday-gitops:github-openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Statuses GitHub may answer on any endpoint without listing them per operation
# (authentication, missing or hidden repository/resource, rate limits, server errors); they
# carry GitHub's basic error object.
_GENERIC_ERROR_STATUSES = frozenset({401, 403, 404, 429, 500, 502, 503, 504})
# Subtrees holding example data rather than schemas: copied verbatim.
_NOT_SCHEMA_KEYS = frozenset({"example", "examples"})


class SpecViolation(AssertionError):
    """Traffic that does not match the OpenAPI description (fails the test)."""


def convert_nullable(node: Any) -> Any:
    """Return a copy of an OpenAPI 3.0 document with ``nullable`` turned into JSON Schema."""
    if isinstance(node, list):
        return [convert_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: (value if key in _NOT_SCHEMA_KEYS else convert_nullable(value))
        for key, value in node.items()
        if not (key == "nullable" and isinstance(value, bool))
    }
    if node.get("nullable") is not True:
        return out
    if "$ref" in out or "type" not in out:
        # $ref / allOf / oneOf / anyOf: null is an alternative to the whole schema.
        return {"anyOf": [out, {"type": "null"}]}
    types = out["type"] if isinstance(out["type"], list) else [out["type"]]
    out["type"] = [*types, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    """One (method, path template) of the description."""

    method: str
    template: str
    pointer: str  # JSON pointer of the operation object in the document
    spec: dict[str, Any]


@dataclass(frozen=True)
class MatchedRequest:
    operation: Operation
    path_params: dict[str, str]


class OpenAPISpec:
    """GitHub's REST description with lazily built, cached validators."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if not str(self.raw.get("openapi", "")).startswith("3.0."):
            raise SpecViolation(f"{path}: expected an OpenAPI 3.0 description")
        self.doc: dict[str, Any] = convert_nullable(self.raw)
        self.registry: Registry[Any] = Registry().with_resource(
            DOC_URI, DRAFT4.create_resource(self.doc)
        )
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        self._routes: list[tuple[re.Pattern[str], str, int]] = []
        for template in self.doc["paths"]:
            names = re.findall(r"\{(\w+)\}", template)
            pattern = re.escape(template)
            for name in names:
                pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)")
            self._routes.append((re.compile(pattern), template, len(names)))
        # Literal segments win over parameters (/pulls/comments before /pulls/{pull_number}).
        self._routes.sort(key=lambda route: route[2])

    # ------------------------------------------------------------------------ lookups

    def resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow non-schema ``$ref``s (responses, parameters, ...): (object, its pointer)."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SpecViolation(f"unsupported $ref {ref!r}")
            pointer = ref[1:]
            node = self.doc
            for token in ref[2:].split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def operation(self, method: str, template: str) -> Operation:
        path_item = self.doc["paths"].get(template)
        if path_item is None or method.lower() not in path_item:
            raise SpecViolation(f"{method} {template} is not in the OpenAPI description")
        pointer = f"/paths/{_pointer_escape(template)}/{method.lower()}"
        return Operation(method.upper(), template, pointer, path_item[method.lower()])

    def match(self, method: str, path: str) -> MatchedRequest:
        """The operation serving ``method path`` (path without query), or SpecViolation."""
        known_path = False
        for pattern, template, _ in self._routes:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            known_path = True
            if method.lower() in self.doc["paths"][template]:
                params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                return MatchedRequest(self.operation(method, template), params)
        detail = "method not allowed on" if known_path else "no operation matches"
        raise SpecViolation(f"{detail} {method} {path}")

    def schema(self, name: str) -> jsonschema.protocols.Validator:
        """Validator for ``#/components/schemas/<name>``."""
        return self._validator(f"/components/schemas/{_pointer_escape(name)}")

    def example(self, name: str) -> Any:
        """A deep copy of ``#/components/examples/<name>``'s value (from the raw document)."""
        return copy.deepcopy(self.raw["components"]["examples"][name]["value"])

    def _validator(self, pointer: str) -> jsonschema.protocols.Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{DOC_URI}#{pointer}"}
            validator = jsonschema.Draft4Validator(schema, registry=self.registry)
            self._validators[pointer] = validator
        return validator

    # ----------------------------------------------------------------------- checks

    def _check(self, pointer: str, instance: Any, what: str) -> None:
        validator = self._validator(pointer)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            location = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise SpecViolation(f"{what}: at {location}: {error.message}")

    def _parameters(self, operation: Operation) -> list[tuple[dict[str, Any], str]]:
        params = []
        for index, param in enumerate(operation.spec.get("parameters", [])):
            params.append(self.resolve(param, f"{operation.pointer}/parameters/{index}"))
        return params

    def _coerce(self, value: str, pointer: str) -> Any:
        # Path and query values arrive as strings; the schema describes the decoded value.
        schema, _ = self.resolve(self._at(pointer), pointer)
        types = schema.get("type")
        types = types if isinstance(types, list) else [types]
        if "integer" in types and re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        if "boolean" in types and value in {"true", "false"}:
            return value == "true"
        return value

    def _at(self, pointer: str) -> Any:
        node: Any = self.doc
        for token in pointer.lstrip("/").split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def validate_request(
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes
    ) -> MatchedRequest:
        """Check method, path, parameters and JSON body; return the matched operation."""
        matched = self.match(method, path)
        op = matched.operation
        where = f"{op.method} {op.template}"
        declared = {(p["in"], p["name"]): (p, ptr) for p, ptr in self._parameters(op)}
        for (location, name), (param, ptr) in declared.items():
            if location == "path":
                value = matched.path_params.get(name)
                if value is None:
                    raise SpecViolation(f"{where}: path parameter {name} missing")
                self._check(f"{ptr}/schema", self._coerce(value, f"{ptr}/schema"), where)
            elif location == "query" and param.get("required") and name not in query:
                raise SpecViolation(f"{where}: required query parameter {name} missing")
        for name, values in query.items():
            if ("query", name) not in declared:
                raise SpecViolation(f"{where}: undeclared query parameter {name!r}")
            if len(values) != 1:
                raise SpecViolation(f"{where}: query parameter {name!r} repeated")
            _, ptr = declared[("query", name)]
            coerced = self._coerce(values[0], f"{ptr}/schema")
            self._check(f"{ptr}/schema", coerced, f"{where} query parameter {name}")
        request_body, body_ptr = self.resolve(
            op.spec.get("requestBody"), f"{op.pointer}/requestBody"
        )
        if request_body is None:
            if body:
                raise SpecViolation(f"{where}: takes no request body")
            return matched
        if not body:
            if request_body.get("required"):
                raise SpecViolation(f"{where}: request body required")
            return matched
        if "application/json" not in request_body.get("content", {}):
            raise SpecViolation(f"{where}: request body is not JSON")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise SpecViolation(f"{where}: request body is not valid JSON: {exc}") from None
        schema_ptr = f"{body_ptr}/content/application~1json/schema"
        self._check(schema_ptr, payload, f"{where} request body")
        return matched

    def validate_response(self, operation: Operation, status: int, body: bytes) -> None:
        """Check that ``status`` is documented and the body matches its schema."""
        where = f"{operation.method} {operation.template} -> {status}"
        responses = operation.spec["responses"]
        if str(status) in responses:
            response, ptr = self.resolve(
                responses[str(status)], f"{operation.pointer}/responses/{status}"
            )
            content = response.get("content", {})
            schema_ptr = f"{ptr}/content/application~1json/schema"
        elif status in _GENERIC_ERROR_STATUSES:
            content = {"application/json": {}}
            schema_ptr = "/components/schemas/basic-error"
        else:
            raise SpecViolation(f"{where}: status not documented for this operation")
        if not content:
            if body:
                raise SpecViolation(f"{where}: documented without a body, but has one")
            return
        if "application/json" not in content:
            raise SpecViolation(f"{where}: no JSON response documented")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise SpecViolation(f"{where}: response is not valid JSON: {exc}") from None
        self._check(schema_ptr, payload, f"{where} response body")
