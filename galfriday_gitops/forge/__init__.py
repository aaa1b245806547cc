"""The forge (GitHub) side of the registry: pull requests, reviews, comments, issues, events.

Standard library only. ``GitHubForge`` talks to the REST API; ``load_event``/``parse_event``
read the Actions event payload.
"""

from typing import TYPE_CHECKING, Any

from galfriday_gitops.forge.base import (
    CommitState,
    Forge,
    ForgeError,
    PullCommit,
    PullRequest,
    Review,
    ReviewState,
)
from galfriday_gitops.forge.events import (
    EVENT_NAMES,
    ForgeEvent,
    load_event,
    parse_event,
    parse_merge_queue_ref,
)

if TYPE_CHECKING:
    from galfriday_gitops.forge.github import GitHubError, GitHubForge, validate_repository


def __getattr__(name: str) -> Any:
    """The REST client's names, imported on first use: reading an Actions event or the
    environment (every ``gfops check``) needs no ``http.client`` or ``ssl``."""
    if name in ("GitHubError", "GitHubForge", "validate_repository"):
        from galfriday_gitops.forge import github

        return getattr(github, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EVENT_NAMES",
    "CommitState",
    "Forge",
    "ForgeError",
    "ForgeEvent",
    "GitHubError",
    "GitHubForge",
    "PullCommit",
    "PullRequest",
    "Review",
    "ReviewState",
    "load_event",
    "parse_event",
    "parse_merge_queue_ref",
    "validate_repository",
]
