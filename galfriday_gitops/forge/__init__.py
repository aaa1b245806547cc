"""The forge (GitHub) side of the registry: pull requests, reviews, comments, issues, events.

Standard library only. ``GitHubForge`` talks to the REST API; ``load_event``/``parse_event``
read the Actions event payload.
"""

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
from galfriday_gitops.forge.github import GitHubError, GitHubForge, validate_repository

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
