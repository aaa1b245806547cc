"""GitHub REST client implementing :class:`~galfriday_gitops.forge.base.Forge`.

Standard library only (``urllib.request`` + ``json``) so that the reconciler runs in a bare
GitHub Actions Python without extra dependencies.

Design notes:

* Every request has a timeout. 5xx answers, connection failures and GitHub's rate-limit
  answers (403/429 with ``Retry-After`` or ``x-ratelimit-remaining: 0``) are retried a bounded
  number of times with a capped backoff; POST (not idempotent: it would duplicate comments,
  issues and pull requests) is retried only on rate-limit answers, which GitHub sends before
  doing anything.
* The token lives only in the ``Authorization`` header. It is sent as an *unredirected* header
  (urllib drops it when following a redirect) and pagination links are followed only on the
  configured API origin. Error messages are built from method, path template, status and
  GitHub's ``message`` field, and are scrubbed of the token as a last line of defence.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from email.message import Message
from typing import Any, Final, cast

from galfriday_gitops.forge.base import (
    COMMIT_STATES,
    REVIEW_STATES,
    CommitState,
    ForgeError,
    GitRef,
    PullCommit,
    PullRequest,
    Review,
    ReviewState,
    WorkflowRun,
)

__all__ = ["DEFAULT_API_URL", "GitHubError", "GitHubForge", "validate_repository"]

logger = logging.getLogger(__name__)

DEFAULT_API_URL: Final = "https://api.github.com"
API_VERSION: Final = "2022-11-28"
USER_AGENT: Final = "galfriday-gitops-forge/0.1 (+python-urllib)"
PER_PAGE: Final = 100
# GitHub's "list commits on a pull request" stops at 250 commits whatever the paging.
PULL_COMMITS_LISTING_CAP: Final = 250
# Bound on pages followed in one listing (100 per page): a broken or hostile Link chain
# must not loop forever.
MAX_PAGES: Final = 200
# GitHub answers 422 to a commit status description longer than this (in characters).
STATUS_DESCRIPTION_LIMIT: Final = 140
# Installation tokens (the Actions GITHUB_TOKEN) cannot read GET /user; what they write is
# authored by this account.
ACTIONS_BOT_LOGIN: Final = "github-actions[bot]"

# GitHub accounts: alphanumerics and hyphens, not starting with a hyphen, at most 39 chars.
_OWNER_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
# Repository names: alphanumerics, '.', '-', '_', at most 100 chars ('.' and '..' excluded).
_REPO_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,100}")
_LINK_RE: Final = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')
# A workflow's file name under .github/workflows (the API accepts it for the workflow id).
_WORKFLOW_FILE_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.ya?ml")
# Commit ids: SHA-1, or SHA-256 for repositories using it.
_SHA_RE: Final = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_RETRYABLE_METHODS: Final = frozenset({"GET", "PATCH", "PUT", "DELETE"})

JSON = Any
SleepFn = Callable[[float], None]


class GitHubError(ForgeError):
    """A failed GitHub API call; ``status`` is the HTTP status, or None if there was none."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def validate_repository(repository: str) -> tuple[str, str]:
    """Split ``owner/name`` after checking both parts against GitHub's character rules."""
    owner, sep, name = repository.partition("/")
    if (
        not sep
        or not _OWNER_RE.fullmatch(owner)
        or not _REPO_RE.fullmatch(name)
        or name in {".", ".."}
    ):
        raise ForgeError(f"invalid GitHub repository {repository!r}: expected 'owner/name'")
    return owner, name


def _validate_api_url(api_url: str) -> str:
    parts = urllib.parse.urlsplit(api_url)
    if parts.scheme == "https" and parts.hostname:
        pass
    elif parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        pass  # plain HTTP only to this machine (tests, local emulators)
    else:
        raise ForgeError(
            f"invalid GitHub API URL {api_url!r}: must be https:// "
            "(or http:// to 127.0.0.1/localhost)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ForgeError(f"invalid GitHub API URL {api_url!r}: no credentials, query or fragment")
    return api_url.rstrip("/")


def _next_link(link_header: str | None) -> str | None:
    if not link_header:
        return None
    for url, rels in _LINK_RE.findall(link_header):
        if "next" in rels.split():
            return str(url)
    return None


def _retry_after(headers: Message | None) -> float | None:
    """Seconds GitHub asks us to wait, or None if this is not a rate-limit answer."""
    if headers is None:
        return None
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            return 0.0
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset")
        try:
            return max(0.0, float(reset) - time.time()) if reset is not None else 0.0
        except ValueError:
            return 0.0
    return None


# Helpers that read API payloads with type checks, so a shape GitHub did not promise turns into
# a ForgeError naming the field instead of a KeyError/TypeError deep in the caller.


def _obj(value: JSON, what: str) -> dict[str, JSON]:
    if not isinstance(value, dict):
        raise ForgeError(f"unexpected GitHub payload: {what} is not an object")
    return cast(dict[str, JSON], value)


def _str(obj: Mapping[str, JSON], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ForgeError(f"unexpected GitHub payload: {what}.{key} is not a string")
    return value


def _opt_str(obj: Mapping[str, JSON], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ForgeError(f"unexpected GitHub payload: {what}.{key} is not a string or null")
    return value


def _int(obj: Mapping[str, JSON], key: str, what: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ForgeError(f"unexpected GitHub payload: {what}.{key} is not an integer")
    return value


def _opt_obj(obj: Mapping[str, JSON], key: str, what: str) -> dict[str, JSON] | None:
    value = obj.get(key)
    return None if value is None else _obj(value, f"{what}.{key}")


def _truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _timestamp(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ForgeError(f"unexpected GitHub payload: {what} is not a timestamp") from None


def _review(item: JSON) -> Review:
    review = _obj(item, "review")
    user = _opt_obj(review, "user", "review")
    state = _str(review, "state", "review")
    if state not in REVIEW_STATES:
        raise ForgeError(f"unexpected GitHub payload: unknown review state {state!r}")
    return Review(
        id=_int(review, "id", "review"),
        user_login=None if user is None else _str(user, "login", "review.user"),
        user_type=None if user is None else _str(user, "type", "review.user"),
        state=cast(ReviewState, state),
        commit_id=_opt_str(review, "commit_id", "review"),
        submitted_at=_timestamp(_opt_str(review, "submitted_at", "review"), "review.submitted_at"),
    )


def _pull_commit(item: JSON) -> PullCommit:
    entry = _obj(item, "commit")
    author = _opt_obj(entry, "author", "commit")
    committer = _opt_obj(entry, "committer", "commit")
    git_commit = _obj(entry.get("commit"), "commit.commit")
    git_author = _opt_obj(git_commit, "author", "commit.commit")
    return PullCommit(
        sha=_str(entry, "sha", "commit"),
        author_login=None if author is None else _str(author, "login", "commit.author"),
        committer_login=None if committer is None else _str(committer, "login", "commit.committer"),
        author_email=None if git_author is None else _opt_str(git_author, "email", "git author"),
    )


def _pull_request(item: JSON) -> PullRequest:
    pull = _obj(item, "pull request")
    head = _obj(pull.get("head"), "pull.head")
    base = _obj(pull.get("base"), "pull.base")
    user = _obj(pull.get("user"), "pull.user")
    state = _str(pull, "state", "pull")
    if state not in {"open", "closed"}:
        raise ForgeError(f"unexpected GitHub payload: unknown pull request state {state!r}")
    draft = pull.get("draft", False)
    return PullRequest(
        number=_int(pull, "number", "pull"),
        state="open" if state == "open" else "closed",
        title=_str(pull, "title", "pull"),
        head_sha=_str(head, "sha", "pull.head"),
        head_ref=_str(head, "ref", "pull.head"),
        base_sha=_str(base, "sha", "pull.base"),
        base_ref=_str(base, "ref", "pull.base"),
        author_login=_str(user, "login", "pull.user"),
        author_type=_str(user, "type", "pull.user"),
        draft=bool(draft),
        commits=_int(pull, "commits", "pull"),
        html_url=_str(pull, "html_url", "pull"),
        body=_opt_str(pull, "body", "pull"),
        merge_commit_sha=_opt_str(pull, "merge_commit_sha", "pull"),
        merged_at=_timestamp(_opt_str(pull, "merged_at", "pull"), "pull.merged_at"),
    )


class GitHubForge:
    """The :class:`~galfriday_gitops.forge.base.Forge` of one GitHub repository.

    ``api_url`` must be https, or http to a loopback address (tests). ``login`` is the account
    the token acts as; when omitted it is read once from ``GET /user`` (falling back to
    ``github-actions[bot]`` for installation tokens, which may not read ``/user``). It decides
    which marker comments :meth:`upsert_comment` may update.
    """

    def __init__(
        self,
        repository: str,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        login: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_backoff: float = 4.0,
        sleep: SleepFn = time.sleep,
    ) -> None:
        self._owner, self._name = validate_repository(repository)
        if not token or any(c.isspace() for c in token):
            raise ForgeError("invalid GitHub token: empty or contains whitespace")
        if timeout <= 0 or max_retries < 0 or max_backoff < 0:
            raise ForgeError("invalid GitHub client settings: timeout, retries or backoff")
        self._token = token
        self._api_url = _validate_api_url(api_url)
        self._origin = urllib.parse.urlsplit(self._api_url)
        self._login = login
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._opener = urllib.request.build_opener()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> GitHubForge:
        """Build from ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL`` (optional)."""
        env = os.environ if environ is None else environ
        token = env.get("GITHUB_TOKEN", "")
        repository = env.get("GITHUB_REPOSITORY", "")
        if not token:
            raise ForgeError("GITHUB_TOKEN is not set")
        if not repository:
            raise ForgeError("GITHUB_REPOSITORY is not set")
        api_url = env.get("GITHUB_API_URL") or DEFAULT_API_URL
        return cls(repository, token, api_url, **kwargs)

    @property
    def repository(self) -> str:
        """``owner/name`` of the repository this client acts on."""
        return f"{self._owner}/{self._name}"

    def __repr__(self) -> str:
        return f"GitHubForge(repository={self.repository!r}, api_url={self._api_url!r})"

    # ----------------------------------------------------------------------------- transport

    def _error(self, method: str, template: str, detail: str, status: int | None) -> GitHubError:
        message = f"GitHub {method} {template} failed: {detail}"
        return GitHubError(message.replace(self._token, "***"), status=status)

    def _url(self, template: str, path_params: Mapping[str, str | int]) -> str:
        params = {"owner": self._owner, "repo": self._name, **path_params}
        path = re.sub(
            r"\{(\w+)\}",
            lambda m: urllib.parse.quote(str(params[m.group(1)]), safe=""),
            template,
        )
        return self._api_url + path

    def _check_same_origin(self, url: str, method: str, template: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if (parts.scheme, parts.netloc) != (self._origin.scheme, self._origin.netloc):
            raise self._error(method, template, "pagination link leaves the API host", None)

    def _request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        query: Mapping[str, str | int] | None = None,
        body: JSON = None,
        url: str | None = None,
        idempotent: bool = False,
    ) -> tuple[JSON, Message]:
        """Send one API call (with retries); returns the decoded JSON body and the headers.

        ``idempotent`` marks a POST whose repetition is harmless (a commit status: the latest
        one per context wins), so it is retried like GET on server and connection errors.
        """
        retry_any = idempotent or method in _RETRYABLE_METHODS
        if url is None:
            url = self._url(template, path_params or {})
            if query:
                url += "?" + urllib.parse.urlencode(query)
        else:
            self._check_same_origin(url, method, template)
        data = None if body is None else json.dumps(body).encode()
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
            request.add_header("Accept", "application/vnd.github+json")
            request.add_header("X-GitHub-Api-Version", API_VERSION)
            request.add_header("User-Agent", USER_AGENT)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            # Unredirected: urllib must not forward the token to wherever a redirect points.
            request.add_unredirected_header("Authorization", f"Bearer {self._token}")
            status: int | None
            headers: Message | None
            try:
                # The URL is built from the validated api_url (https, or http to loopback only)
                # and same-origin pagination links, so no file:// or other scheme reaches here.
                with self._opener.open(request, timeout=self._timeout) as response:
                    status, headers, raw = response.status, response.headers, response.read()
                logger.debug("GitHub %s %s -> %s", method, template, status)
                return self._decode(raw, method, template, status), cast(Message, headers)
            except urllib.error.HTTPError as exc:
                status, headers = exc.code, exc.headers
                raw = exc.read() if exc.fp is not None else b""
                exc.close()
                detail = f"HTTP {status}: {self._github_message(raw)}"
                wait = _retry_after(headers) if status in {403, 429} else None
                retryable = wait is not None or (status >= 500 and retry_any)
            except (
                urllib.error.URLError,
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as exc:
                status, headers, wait = None, None, None
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                detail = f"connection error: {reason}"
                refused = isinstance(reason, ConnectionRefusedError)
                # A refused connection never reached the server, so even a POST is safe again.
                retryable = retry_any or refused
            if not retryable or attempt >= self._max_retries:
                raise self._error(method, template, detail, status)
            attempt += 1
            delay = min(self._max_backoff, wait if wait is not None else 0.5 * 2 ** (attempt - 1))
            logger.warning(
                "GitHub %s %s: %s; retry %d/%d in %.1fs",
                method,
                template,
                detail.replace(self._token, "***"),
                attempt,
                self._max_retries,
                delay,
            )
            self._sleep(delay)

    def _decode(self, raw: bytes, method: str, template: str, status: int) -> JSON:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self._error(method, template, f"HTTP {status}: invalid JSON", status) from None

    @staticmethod
    def _github_message(raw: bytes) -> str:
        try:
            payload = json.loads(raw) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return "(no JSON error body)"
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            return str(payload["message"])[:300]
        return "(no message)"

    def _paginate(
        self,
        template: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        query: Mapping[str, str | int] | None = None,
    ) -> Iterator[JSON]:
        """Yield the items of every page of a list endpoint, following ``rel="next"`` links."""
        page, headers = self._request(
            "GET", template, path_params=path_params, query={**(query or {}), "per_page": PER_PAGE}
        )
        for pages in range(1, MAX_PAGES + 1):
            if not isinstance(page, list):
                raise self._error("GET", template, "list endpoint did not return a list", None)
            yield from page
            next_url = _next_link(headers.get("Link"))
            if next_url is None:
                return
            if pages == MAX_PAGES:
                break
            page, headers = self._request("GET", template, url=next_url)
        raise self._error("GET", template, f"more than {MAX_PAGES} pages", None)

    # ---------------------------------------------------------------------------- operations

    def whoami(self) -> str:
        """Login of the account the token acts as (cached)."""
        if self._login is None:
            try:
                user, _ = self._request("GET", "/user")
                self._login = _str(_obj(user, "user"), "login", "user")
            except GitHubError as exc:
                if exc.status != 403:
                    raise
                self._login = ACTIONS_BOT_LOGIN
        return self._login

    def list_reviews(self, pr: int) -> list[Review]:
        """All reviews of pull request ``pr`` in chronological order (every page)."""
        template = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
        return [_review(item) for item in self._paginate(template, path_params={"pull_number": pr})]

    def list_pull_commits(self, pr: int, pull: PullRequest | None = None) -> list[PullCommit]:
        """All commits of pull request ``pr`` (``pull``: as already read, else read here).

        GitHub lists at most 250 commits of a pull request; a longer one (or a listing that
        disagrees with the pull request's commit count) raises ForgeError, so that callers
        deciding on the commits fail closed instead of judging a partial list.
        """
        if pull is None or pull.number != pr:
            pull = self.get_pull(pr)
        expected = pull.commits
        if expected > PULL_COMMITS_LISTING_CAP:
            raise ForgeError(
                f"truncated listing: pull request #{pr} has {expected} commits, GitHub lists "
                f"at most {PULL_COMMITS_LISTING_CAP}"
            )
        template = "/repos/{owner}/{repo}/pulls/{pull_number}/commits"
        commits = [
            _pull_commit(item) for item in self._paginate(template, path_params={"pull_number": pr})
        ]
        if len(commits) != expected:
            raise ForgeError(
                f"truncated listing: pull request #{pr} reports {expected} commits, "
                f"GitHub listed {len(commits)}"
            )
        return commits

    def get_pull(self, pr: int) -> PullRequest:
        """Pull request ``pr``."""
        pull, _ = self._request(
            "GET", "/repos/{owner}/{repo}/pulls/{pull_number}", path_params={"pull_number": pr}
        )
        return _pull_request(pull)

    def merged_pull_of(self, sha: str) -> PullRequest | None:
        """The pull request merged as commit ``sha`` (GitHub's merge or squash commit), from
        "list pull requests associated with a commit"; None for a commit no merge made.

        A commit subject can claim any pull request, so the association comes from GitHub:
        only a merged pull request whose ``merge_commit_sha`` is ``sha`` counts; two such
        (which GitHub never reports) raise ForgeError rather than pick one.
        """
        if not _SHA_RE.fullmatch(sha):
            raise ForgeError(f"invalid commit sha {sha!r}: expected 40 or 64 hex digits")
        template = "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"
        numbers = sorted(
            _int(pull, "number", "pull")
            for item in self._paginate(template, path_params={"commit_sha": sha})
            for pull in [_obj(item, "pull")]
            if pull.get("merge_commit_sha") == sha and pull.get("merged_at") is not None
        )
        if not numbers:
            return None
        if len(numbers) > 1:
            raise ForgeError(f"several pull requests claim merge commit {sha[:12]}: {numbers}")
        pull = self.get_pull(numbers[0])
        if pull.merge_commit_sha != sha or pull.merged_at is None:
            raise ForgeError(f"pull request #{pull.number} no longer names {sha[:12]} as merged")
        return pull

    def last_successful_run(self, workflow: str) -> WorkflowRun | None:
        """The newest successful run of workflow file ``workflow`` ("list workflow runs for
        a workflow", newest first, ``status=success``); None when it never succeeded."""
        if not _WORKFLOW_FILE_RE.fullmatch(workflow):
            raise ForgeError(f"invalid workflow file name {workflow!r}: expected NAME.yml")
        template = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
        page, _ = self._request(
            "GET",
            template,
            path_params={"workflow_id": workflow},
            query={"status": "success", "per_page": 1},
        )
        runs = _obj(page, "workflow runs").get("workflow_runs")
        if not isinstance(runs, list):
            raise ForgeError("unexpected GitHub payload: workflow_runs is not a list")
        if not runs:
            return None
        run = _obj(runs[0], "workflow run")
        created = _timestamp(_str(run, "created_at", "workflow run"), "workflow run created_at")
        assert created is not None  # a str was given
        return WorkflowRun(
            id=_int(run, "id", "workflow run"),
            event=_str(run, "event", "workflow run"),
            conclusion=_opt_str(run, "conclusion", "workflow run"),
            created_at=created,
            html_url=_str(run, "html_url", "workflow run"),
        )

    def find_open_pull(self, head_branch: str) -> PullRequest | None:
        """The open pull request from ``head_branch`` of this repository, or None.

        Raises ForgeError if several are open (into different bases): the caller must decide.
        """
        template = "/repos/{owner}/{repo}/pulls"
        query = {"state": "open", "head": f"{self._owner}:{head_branch}"}
        numbers = sorted(
            _int(_obj(item, "pull"), "number", "pull")
            for item in self._paginate(template, query=query)
        )
        if not numbers:
            return None
        if len(numbers) > 1:
            raise ForgeError(f"several open pull requests from {head_branch!r}: {numbers}")
        # The list endpoint omits fields such as the commit count: read the full pull request.
        return self.get_pull(numbers[0])

    def create_pull(
        self, title: str, body: str, head: str, base: str, draft: bool = False
    ) -> PullRequest:
        """Open a pull request from branch ``head`` into branch ``base``."""
        payload = {"title": title, "body": body, "head": head, "base": base, "draft": draft}
        pull, _ = self._request("POST", "/repos/{owner}/{repo}/pulls", body=payload)
        return _pull_request(pull)

    def update_pull(
        self, number: int, title: str | None = None, body: str | None = None
    ) -> PullRequest:
        """Change the title and/or body of pull request ``number`` (neither: just read it)."""
        payload = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        if not payload:
            return self.get_pull(number)
        pull, _ = self._request(
            "PATCH",
            "/repos/{owner}/{repo}/pulls/{pull_number}",
            path_params={"pull_number": number},
            body=payload,
        )
        return _pull_request(pull)

    def upsert_comment(self, pr: int, marker: str, body: str) -> int:
        """Update in place our comment on ``pr`` that contains ``marker``, or create it.

        Only comments written by :meth:`whoami` count: anyone can paste the marker into a
        comment, and we must neither overwrite theirs nor let theirs stand for ours. The body
        is prefixed with the marker if it lacks it. Returns the comment id.
        """
        if not marker.strip():
            raise ForgeError("comment marker must not be empty")
        if marker not in body:
            body = f"{marker}\n{body}"
        me = self.whoami().lower()
        template = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
        for item in self._paginate(template, path_params={"issue_number": pr}):
            comment = _obj(item, "comment")
            user = _opt_obj(comment, "user", "comment")
            author = None if user is None else _str(user, "login", "comment.user").lower()
            if author == me and marker in (_opt_str(comment, "body", "comment") or ""):
                comment_id = _int(comment, "id", "comment")
                if comment.get("body") != body:
                    self._request(
                        "PATCH",
                        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
                        path_params={"comment_id": comment_id},
                        body={"body": body},
                    )
                return comment_id
        created, _ = self._request(
            "POST", template, path_params={"issue_number": pr}, body={"body": body}
        )
        return _int(_obj(created, "comment"), "id", "comment")

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> int:
        """Open an issue with ``labels``; returns its number."""
        payload: dict[str, JSON] = {"title": title, "body": body}
        if labels:
            payload["labels"] = list(labels)
        issue, _ = self._request("POST", "/repos/{owner}/{repo}/issues", body=payload)
        return _int(_obj(issue, "issue"), "number", "issue")

    def find_open_issue(
        self, *, label: str | None = None, title_marker: str | None = None
    ) -> int | None:
        """Number of the oldest open issue carrying ``label`` and/or ``title_marker`` in its title.

        Pull requests (which the issues endpoint also lists) are skipped.
        """
        if label is None and title_marker is None:
            raise ForgeError("find_open_issue needs a label or a title marker")
        query: dict[str, str | int] = {"state": "open", "sort": "created", "direction": "asc"}
        if label is not None:
            query["labels"] = label
        for item in self._paginate("/repos/{owner}/{repo}/issues", query=query):
            issue = _obj(item, "issue")
            if issue.get("pull_request") is not None:
                continue
            if title_marker is None or title_marker in _str(issue, "title", "issue"):
                return _int(issue, "number", "issue")
        return None

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add ``labels`` to issue or pull request ``number`` (no call when empty)."""
        if not labels:
            return
        self._request(
            "POST",
            "/repos/{owner}/{repo}/issues/{issue_number}/labels",
            path_params={"issue_number": number},
            body={"labels": list(labels)},
        )

    def set_status(
        self,
        sha: str,
        state: CommitState,
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> None:
        """Set the commit status ``context`` of commit ``sha`` (the latest one per context wins).

        The description is cut to GitHub's 140 characters (ending in an ellipsis when cut), so
        a long verdict never turns into a 422. Repeating the call is harmless, so it is retried
        on server errors like a GET.
        """
        if not _SHA_RE.fullmatch(sha):
            raise ForgeError(f"invalid commit sha {sha!r}: expected 40 or 64 hex digits")
        if state not in COMMIT_STATES:
            raise ForgeError(
                f"invalid commit status state {state!r}: expected one of "
                f"{', '.join(sorted(COMMIT_STATES))}"
            )
        if not context.strip():
            raise ForgeError("commit status context must not be empty")
        if target_url is not None and urllib.parse.urlsplit(target_url).scheme not in {
            "https",
            "http",
        }:
            raise ForgeError(f"invalid commit status target URL {target_url!r}: must be http(s)")
        payload: dict[str, JSON] = {
            "state": state,
            "context": context,
            "description": _truncate(description, STATUS_DESCRIPTION_LIMIT),
        }
        if target_url is not None:
            payload["target_url"] = target_url
        self._request(
            "POST",
            "/repos/{owner}/{repo}/statuses/{sha}",
            path_params={"sha": sha},
            body=payload,
            idempotent=True,
        )

    # ------------------------------------------------------------------------ git references

    def _ref(self, item: JSON, what: str) -> GitRef:
        ref = _obj(item, what)
        target = _obj(ref.get("object"), f"{what}.object")
        sha = _str(target, "sha", f"{what}.object")
        if not _SHA_RE.fullmatch(sha):
            raise ForgeError(f"{what}.object.sha is not a commit sha")
        return GitRef(_str(ref, "ref", what), sha)

    def branch_head(self, branch: str) -> str:
        """The commit ``branch`` points at now."""
        item, _ = self._request(
            "GET", "/repos/{owner}/{repo}/git/ref/{ref}", path_params={"ref": f"heads/{branch}"}
        )
        found = self._ref(item, "git ref")
        if found.ref != f"refs/heads/{branch}":
            raise ForgeError(f"asked for branch {branch!r}, GitHub answered {found.ref!r}")
        return found.sha

    def matching_refs(self, prefix: str) -> list[GitRef]:
        """Every reference whose name starts with ``refs/<prefix>`` (one answer, no pages)."""
        items, _ = self._request(
            "GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}", path_params={"ref": prefix}
        )
        if not isinstance(items, list):
            raise ForgeError("matching refs: expected a list")
        refs = [self._ref(item, "git ref") for item in items]
        stray = [r.ref for r in refs if not r.ref.startswith(f"refs/{prefix}")]
        if stray:
            raise ForgeError(f"matching refs of {prefix!r}: GitHub answered {stray[0]!r}")
        return refs


def parse_reviews(items: JSON) -> list[Review]:
    """Reviews from the JSON array of "list reviews for a pull request" (offline input)."""
    if not isinstance(items, list):
        raise ForgeError("reviews: expected the JSON array GitHub's list-reviews endpoint returns")
    return [_review(item) for item in items]


def parse_pull_commits(items: JSON) -> list[PullCommit]:
    """Commits from the JSON array of "list commits on a pull request" (offline input)."""
    if not isinstance(items, list):
        raise ForgeError("commits: expected the JSON array GitHub's list-commits endpoint returns")
    return [_pull_commit(item) for item in items]
