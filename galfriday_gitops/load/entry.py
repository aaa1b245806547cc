"""One file of the registry as loaded: where, which blob, what it parsed to (or why not).

A file's parsed result is a *payload* (:mod:`galfriday_gitops.load.cache`): an index line
(kind, name, version, stage) and the validated JSON. An :class:`Entry` answers from the
index without decoding anything; it fetches its payload only when asked, and builds the
pydantic resource only when that is asked for: ``gfops show`` renders the JSON as data, and
a 10,000-manifest state costs no validation for the models nobody looks at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.load import cache as cache_mod
from galfriday_gitops.load.safe_yaml import YamlError, load

if TYPE_CHECKING:
    from galfriday_gitops.load.layout import Slot
    from galfriday_gitops.resources import Resource

Index = tuple[str, str, str, str]  # (kind, name, version, stage); "" where not applicable


def parse_blob(raw: bytes, slot: Slot) -> tuple[Resource | None, tuple[Finding, ...]]:
    """Bytes -> resource, or findings (with an empty file name, filled in by the caller)."""
    from galfriday_gitops.load.validate import to_resource  # the schema: only when parsing

    try:
        doc = load(raw, with_positions=False)
    except YamlError as exc:
        return None, (rule(exc.rule_id).finding("", exc.line, exc.message, column=exc.column),)
    resource, findings = to_resource(doc, "", slot.kinds)
    if findings:  # the lines are worth a second parse only when there is something to show
        resource, findings = to_resource(load(raw), "", slot.kinds)
    return resource, tuple(findings)


class Entry:
    """One registry file: ``index`` answers kind/name/version/stage; ``data`` is the
    validated manifest as plain JSON data; ``resource`` the pydantic object (built once)."""

    __slots__ = ("_fetch", "_payload", "_resource", "blob", "findings", "index", "key", "path")

    def __init__(
        self,
        path: str,
        blob: str,
        *,
        payload: str | None = None,
        index: Index | None = None,
        key: str = "",
        fetch: Callable[[str], str] | None = None,
        findings: tuple[Finding, ...] = (),
    ) -> None:
        """From a ``payload`` in hand, or from a cached ``index`` whose payload ``fetch``
        returns by ``key`` when it is first needed."""
        self.path = path
        self.blob = blob
        self.key = key
        self.findings = findings
        self._payload = payload
        self._fetch = fetch
        self._resource: Resource | None = None
        self.index = cache_mod.index_of(payload) if payload is not None else index

    @property
    def kind(self) -> str | None:
        return self.index[0] if self.index else None

    @property
    def payload(self) -> str | None:
        """The cached parse result (fetched on first use); None for a refused file."""
        if self._payload is None and self.index is not None and self._fetch is not None:
            self._payload = self._fetch(self.key)
        return self._payload

    def holds(self, resource: object) -> bool:
        """Whether ``resource`` is this entry's (already built) object."""
        return self._resource is not None and self._resource is resource

    @property
    def fetched(self) -> bool:
        return self._payload is not None or self._resource is not None

    @property
    def data(self) -> dict[str, Any] | None:
        """The validated resource as JSON data (camelCase keys, as in the YAML), no pydantic."""
        payload = self.payload
        if payload is None or self.index is None:
            return None
        data: dict[str, Any] = json.loads(payload.partition("\n")[2])
        return data

    @property
    def resource(self) -> Resource | None:
        if self._resource is None and self.index is not None:
            payload = self.payload
            if payload is not None:
                self._resource = cache_mod.decode(payload)[0]
        return self._resource
