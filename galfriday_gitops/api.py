"""The library surface: what a script can do with the same words as the CLI.

This module only re-exports; each verb lives in its own module. Every ``gfops`` command
that acts on a registry is a function here, taking a request named by the command's own
options and returning a result object; the CLI only parses arguments into that request
and prints the result::

    from pathlib import Path
    from galfriday_gitops import api

    repo = Path(".")
    proposed = api.promote(repo, api.PromoteRequest("price-direction", "1.2.0", "production"))
    print(proposed.proposal.branch, proposed.preview.allowed)  # the gate's verdict on it
    result = api.check(repo, api.CheckRequest(base="main", head=proposed.proposal.branch))

The verbs — ``check``, ``apply``, ``register``, ``promote``, ``rollback``, ``deprecate``,
``retrain``, ``conclude``, ``drift``, ``analyze_experiment`` / ``analyze_data``,
``lifecycle``, ``verify``, ``export``, ``alert``, ``build_site``, ``init_registry`` — and
their request and result types are loaded on first use, so a prediction service that only
resolves versions never imports them. The consumer side — ``Registry(..., as_of=...)``,
``resolve(uri)``, ``find``, ``history``, ``load_artifact`` — is
:mod:`galfriday_gitops.registry`; model URIs (``parse_uri``) are :mod:`galfriday_gitops.uri`,
queries (``Query``) :mod:`galfriday_gitops.query`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from galfriday_gitops.query import Query, QueryError, Row
from galfriday_gitops.registry import (
    ArtifactIntegrityError,
    ArtifactUnavailableError,
    ModelEvent,
    Registry,
    RegistryError,
    RepositoryError,
    ResolveError,
    UnknownRevisionError,
)
from galfriday_gitops.uri import InvalidModelURI, ModelURI, parse_uri

if TYPE_CHECKING:
    from galfriday_gitops.alert import Alert, AlertRequest, alert
    from galfriday_gitops.apply.push import ApplyRequest, ApplyRun
    from galfriday_gitops.apply.push import apply_push as apply
    from galfriday_gitops.audit.export import AuditExport, export
    from galfriday_gitops.audit.verify import verify
    from galfriday_gitops.experiments.adhoc import AdHocRequest
    from galfriday_gitops.experiments.analysis import analyze_data, analyze_experiment
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.gate import CheckRequest, CheckResult, ReconcilerFailed, check
    from galfriday_gitops.lifecycle.results import LifecycleRun
    from galfriday_gitops.lifecycle.run import LifecycleRequest, lifecycle
    from galfriday_gitops.monitor.job import DriftOutcome, DriftRequest, drift
    from galfriday_gitops.scaffold.create import Initialised, InitRequest, init_registry
    from galfriday_gitops.site import SiteRequest, SiteResult, build_site
    from galfriday_gitops.write.conclude import ConcludeRequest, Conclusion, conclude
    from galfriday_gitops.write.deprecate import DeprecateRequest, deprecate
    from galfriday_gitops.write.promote import PromoteRequest, promote
    from galfriday_gitops.write.propose import Proposal, Proposed
    from galfriday_gitops.write.register import Registration, register
    from galfriday_gitops.write.retrain import RetrainRequest, RetrainResult, retrain
    from galfriday_gitops.write.rollback import RollbackRequest, rollback

__all__ = [
    "ActionsEnv",
    "AdHocRequest",
    "Alert",
    "AlertRequest",
    "ApplyRequest",
    "ApplyRun",
    "ArtifactIntegrityError",
    "ArtifactUnavailableError",
    "AuditExport",
    "CheckRequest",
    "CheckResult",
    "ConcludeRequest",
    "Conclusion",
    "DeprecateRequest",
    "DriftOutcome",
    "DriftRequest",
    "InitRequest",
    "Initialised",
    "InvalidModelURI",
    "LifecycleRequest",
    "LifecycleRun",
    "ModelEvent",
    "ModelURI",
    "PromoteRequest",
    "Proposal",
    "Proposed",
    "Query",
    "QueryError",
    "ReconcilerFailed",
    "Registration",
    "Registry",
    "RegistryError",
    "RepositoryError",
    "ResolveError",
    "RetrainRequest",
    "RetrainResult",
    "RollbackRequest",
    "Row",
    "SiteRequest",
    "SiteResult",
    "UnknownRevisionError",
    "alert",
    "analyze_data",
    "analyze_experiment",
    "apply",
    "build_site",
    "check",
    "conclude",
    "deprecate",
    "drift",
    "export",
    "init_registry",
    "lifecycle",
    "parse_uri",
    "promote",
    "register",
    "retrain",
    "rollback",
    "verify",
]

# name -> (module, attribute): the verbs and their request/result types, imported on use.
_VERBS: dict[str, tuple[str, str]] = {
    "check": ("galfriday_gitops.gate", "check"),
    "CheckRequest": ("galfriday_gitops.gate", "CheckRequest"),
    "CheckResult": ("galfriday_gitops.gate", "CheckResult"),
    "ReconcilerFailed": ("galfriday_gitops.gate", "ReconcilerFailed"),
    "apply": ("galfriday_gitops.apply.push", "apply_push"),
    "ApplyRequest": ("galfriday_gitops.apply.push", "ApplyRequest"),
    "ApplyRun": ("galfriday_gitops.apply.push", "ApplyRun"),
    "register": ("galfriday_gitops.write.register", "register"),
    "Registration": ("galfriday_gitops.write.register", "Registration"),
    "promote": ("galfriday_gitops.write.promote", "promote"),
    "PromoteRequest": ("galfriday_gitops.write.promote", "PromoteRequest"),
    "rollback": ("galfriday_gitops.write.rollback", "rollback"),
    "RollbackRequest": ("galfriday_gitops.write.rollback", "RollbackRequest"),
    "deprecate": ("galfriday_gitops.write.deprecate", "deprecate"),
    "DeprecateRequest": ("galfriday_gitops.write.deprecate", "DeprecateRequest"),
    "Proposal": ("galfriday_gitops.write.propose", "Proposal"),
    "Proposed": ("galfriday_gitops.write.propose", "Proposed"),
    "retrain": ("galfriday_gitops.write.retrain", "retrain"),
    "RetrainRequest": ("galfriday_gitops.write.retrain", "RetrainRequest"),
    "RetrainResult": ("galfriday_gitops.write.retrain", "RetrainResult"),
    "lifecycle": ("galfriday_gitops.lifecycle.run", "lifecycle"),
    "LifecycleRequest": ("galfriday_gitops.lifecycle.run", "LifecycleRequest"),
    "LifecycleRun": ("galfriday_gitops.lifecycle.results", "LifecycleRun"),
    "verify": ("galfriday_gitops.audit.verify", "verify"),
    "export": ("galfriday_gitops.audit.export", "export"),
    "alert": ("galfriday_gitops.alert", "alert"),
    "AlertRequest": ("galfriday_gitops.alert", "AlertRequest"),
    "Alert": ("galfriday_gitops.alert", "Alert"),
    "AuditExport": ("galfriday_gitops.audit.export", "AuditExport"),
    "ActionsEnv": ("galfriday_gitops.forge.actions", "ActionsEnv"),
    "build_site": ("galfriday_gitops.site", "build_site"),
    "SiteRequest": ("galfriday_gitops.site", "SiteRequest"),
    "SiteResult": ("galfriday_gitops.site", "SiteResult"),
    "init_registry": ("galfriday_gitops.scaffold.create", "init_registry"),
    "InitRequest": ("galfriday_gitops.scaffold.create", "InitRequest"),
    "Initialised": ("galfriday_gitops.scaffold.create", "Initialised"),
    "conclude": ("galfriday_gitops.write.conclude", "conclude"),
    "ConcludeRequest": ("galfriday_gitops.write.conclude", "ConcludeRequest"),
    "Conclusion": ("galfriday_gitops.write.conclude", "Conclusion"),
    "drift": ("galfriday_gitops.monitor.job", "drift"),
    "DriftRequest": ("galfriday_gitops.monitor.job", "DriftRequest"),
    "DriftOutcome": ("galfriday_gitops.monitor.job", "DriftOutcome"),
    "analyze_experiment": ("galfriday_gitops.experiments.analysis", "analyze_experiment"),
    "analyze_data": ("galfriday_gitops.experiments.analysis", "analyze_data"),
    "AdHocRequest": ("galfriday_gitops.experiments.adhoc", "AdHocRequest"),
}


def __getattr__(name: str) -> Any:
    target = _VERBS.get(name)
    if target is None:
        raise AttributeError(f"module 'galfriday_gitops.api' has no attribute {name!r}")
    value = getattr(import_module(target[0]), target[1])
    globals()[name] = value  # later look-ups skip this function
    return value
