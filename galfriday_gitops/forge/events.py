"""Read the GitHub Actions event payload into a plain :class:`ForgeEvent`.

Supported events: ``pull_request``, ``pull_request_review``, ``merge_group`` and ``push``.
A payload whose shape does not belong to the declared event is rejected with ForgeError, so
a misconfigured workflow cannot make the reconciler judge the wrong thing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

from galfriday_gitops.forge.base import ForgeError

__all__ = [
    "EVENT_NAMES",
    "EventName",
    "ForgeEvent",
    "load_event",
    "parse_event",
    "parse_merge_queue_ref",
    "parse_queue_entry",
]

EventName = Literal["pull_request", "pull_request_review", "merge_group", "push"]
EVENT_NAMES: Final[frozenset[str]] = frozenset(get_args(EventName))

# Object ids: SHA-1, or SHA-256 for repositories using it. All zeros on push means "no commit"
# (a created or deleted ref).
_SHA_RE: Final = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# Merge queue branches are named gh-readonly-queue/<base branch>/pr-<number>-<head sha>.
_MERGE_QUEUE_RE: Final = re.compile(
    r"(?:refs/heads/)?gh-readonly-queue/(?P<base>.+)/pr-(?P<number>[1-9][0-9]*)-(?P<sha>[0-9a-f]{40}|[0-9a-f]{64})"
)


@dataclass(frozen=True, slots=True)
class ForgeEvent:
    """What the reconciler needs from one event.

    ``pr_number`` is None for ``merge_group`` and ``push``; for ``merge_group``,
    ``merge_queue_prs`` holds the pull request numbers encoded in the queue branch name.
    ``author_login`` is the pull request's author for pull request events and the account that
    triggered the event (``sender``) otherwise. Refs are as GitHub sends them: branch names for
    pull request events, full ``refs/heads/...`` names for ``merge_group`` and ``push``.
    For ``push``, ``base_sha``/``head_sha`` are the ``before``/``after`` commits.
    """

    name: EventName
    action: str | None
    repository: str
    pr_number: int | None
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    author_login: str | None
    sender_login: str | None
    merge_queue_prs: tuple[int, ...] = ()


def parse_merge_queue_ref(ref: str) -> tuple[str, tuple[int, ...]]:
    """Split a merge queue branch name into (base branch, pull request numbers).

    ``refs/heads/gh-readonly-queue/main/pr-104-<sha>`` gives ``("main", (104,))``.
    """
    base, number, _ = parse_queue_entry(ref)
    return base, (number,)


def parse_queue_entry(ref: str) -> tuple[str, int, str]:
    """(base branch, pull request number, queued head sha) of a merge queue branch name."""
    match = _MERGE_QUEUE_RE.fullmatch(ref)
    if match is None:
        raise ForgeError(f"not a merge queue branch: {ref!r}")
    return match.group("base"), int(match.group("number")), match.group("sha")


def _fail(event: str, detail: str) -> ForgeError:
    return ForgeError(f"invalid {event} event payload: {detail}")


def _obj(value: Any, event: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(event, f"{what} is missing or not an object")
    return cast(dict[str, Any], value)


def _str(obj: Mapping[str, Any], key: str, event: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(event, f"{what}.{key} is missing or not a string")
    return value


def _sha(obj: Mapping[str, Any], key: str, event: str, what: str) -> str:
    value = _str(obj, key, event, what)
    if not _SHA_RE.fullmatch(value):
        raise _fail(event, f"{what}.{key} is not a commit sha")
    return value


def _login(obj: Mapping[str, Any], key: str, event: str, what: str) -> str | None:
    user = obj.get(key)
    if user is None:
        return None
    return _str(_obj(user, event, f"{what}.{key}"), "login", event, f"{what}.{key}")


def _pull_request_event(name: EventName, payload: dict[str, Any]) -> ForgeEvent:
    pull = _obj(payload.get("pull_request"), name, "pull_request")
    number = pull.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise _fail(name, "pull_request.number is missing or not a positive integer")
    if "number" in payload and payload["number"] != number:
        raise _fail(name, "number disagrees with pull_request.number")
    head = _obj(pull.get("head"), name, "pull_request.head")
    base = _obj(pull.get("base"), name, "pull_request.base")
    return ForgeEvent(
        name=name,
        action=_str(payload, "action", name, "payload"),
        repository=_repository(payload, name),
        pr_number=number,
        base_sha=_sha(base, "sha", name, "pull_request.base"),
        head_sha=_sha(head, "sha", name, "pull_request.head"),
        base_ref=_str(base, "ref", name, "pull_request.base"),
        head_ref=_str(head, "ref", name, "pull_request.head"),
        author_login=_login(pull, "user", name, "pull_request"),
        sender_login=_login(payload, "sender", name, "payload"),
    )


def _repository(payload: Mapping[str, Any], event: str) -> str:
    repository = _obj(payload.get("repository"), event, "repository")
    return _str(repository, "full_name", event, "repository")


def parse_event(name: str, payload: Any) -> ForgeEvent:
    """Parse the ``payload`` of event ``name`` (as in ``GITHUB_EVENT_NAME``)."""
    if name not in EVENT_NAMES:
        raise ForgeError(
            f"unsupported event {name!r}: expected one of {', '.join(sorted(EVENT_NAMES))}"
        )
    event = cast(EventName, name)
    body = _obj(payload, event, "payload")
    # Each event is told apart by the objects only it carries: a review payload also carries
    # "pull_request", and a push payload carries neither.
    has = {key for key in ("pull_request", "review", "merge_group") if key in body}
    expected = {
        "pull_request": {"pull_request"},
        "pull_request_review": {"pull_request", "review"},
        "merge_group": {"merge_group"},
        "push": set(),
    }[event]
    if has != expected:
        found = ", ".join(sorted(has)) or "none of pull_request/review/merge_group"
        raise _fail(event, f"payload does not match the event (it carries {found})")
    if event == "pull_request_review":
        _obj(body.get("review"), event, "review")
    if event in {"pull_request", "pull_request_review"}:
        return _pull_request_event(event, body)
    if event == "merge_group":
        group = _obj(body.get("merge_group"), event, "merge_group")
        head_ref = _str(group, "head_ref", event, "merge_group")
        base_ref = _str(group, "base_ref", event, "merge_group")
        queue_base, numbers = parse_merge_queue_ref(head_ref)
        if base_ref.removeprefix("refs/heads/") != queue_base:
            raise _fail(event, "merge_group.head_ref does not queue into merge_group.base_ref")
        sender = _login(body, "sender", event, "payload")
        return ForgeEvent(
            name=event,
            action=_str(body, "action", event, "payload"),
            repository=_repository(body, event),
            pr_number=None,
            base_sha=_sha(group, "base_sha", event, "merge_group"),
            head_sha=_sha(group, "head_sha", event, "merge_group"),
            base_ref=base_ref,
            head_ref=head_ref,
            author_login=sender,
            sender_login=sender,
            merge_queue_prs=numbers,
        )
    ref = _str(body, "ref", event, "payload")
    sender = _login(body, "sender", event, "payload")
    return ForgeEvent(
        name=event,
        action=None,
        repository=_repository(body, event),
        pr_number=None,
        base_sha=_sha(body, "before", event, "payload"),
        head_sha=_sha(body, "after", event, "payload"),
        base_ref=ref,
        head_ref=ref,
        author_login=sender,
        sender_login=sender,
    )


def load_event(
    path: str | os.PathLike[str] | None = None,
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ForgeEvent:
    """Read and parse an event file; defaults come from ``GITHUB_EVENT_PATH``/``_NAME``."""
    env = os.environ if environ is None else environ
    event_name = name if name is not None else env.get("GITHUB_EVENT_NAME", "")
    if not event_name:
        raise ForgeError("no event name given and GITHUB_EVENT_NAME is not set")
    event_path = path if path is not None else env.get("GITHUB_EVENT_PATH", "")
    if not event_path:
        raise ForgeError("no event file given and GITHUB_EVENT_PATH is not set")
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ForgeError(f"cannot read event file {event_path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ForgeError(f"event file {event_path} is not valid JSON: {exc}") from None
    return parse_event(event_name, payload)
