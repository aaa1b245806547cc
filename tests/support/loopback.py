"""A loopback stand-in for the few GitHub REST endpoints the forge client uses.

An ``http.server`` on 127.0.0.1 (ephemeral port, own thread) with in-memory state. Every
request it receives and every response it sends is checked against GitHub's OpenAPI
description (see ``openapi.py``); violations are recorded in ``violations`` (the fixture
fails the test on any) and a bad request is answered 422 so the client stops.

Canned objects start from the description's own examples, are modified, and are validated
against their component schema when built.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .openapi import OpenAPISpec, SpecViolation

Handler = Callable[["Ctx"], tuple[int, Any]]

TOKEN = "ghp_loopbackSECRETtoken0123456789abcdef"
INSTALLATION_TOKEN = "ghs_loopbackINSTALLATIONsecret987654321"
BOT_LOGIN = "galfriday-bot"


class RecordingSleep:
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def fake_sha(*parts: object) -> str:
    """A deterministic 40-hex commit id."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()


@dataclass
class Fault:
    """A planned answer replacing the normal one for the next matching requests."""

    method: str
    template: str
    status: int
    body: Any = None
    raw: bytes | None = None  # deliberately broken body (not validated)
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class Ctx:
    method: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    login: str | None


@dataclass
class Recorded:
    method: str
    path: str
    template: str
    headers: dict[str, str]  # lower-cased names


class LoopbackGitHub:
    """In-memory GitHub for one repository, served on 127.0.0.1."""

    def __init__(self, spec: OpenAPISpec, owner: str = "octo-org", repo: str = "registry") -> None:
        self.spec = spec
        self.owner, self.repo = owner, repo
        self.tokens: dict[str, str | None] = {}  # token -> login (None: installation token)
        self.users: dict[str, dict[str, Any]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.commits: dict[int, list[dict[str, Any]]] = {}
        self.issues: dict[int, dict[str, Any]] = {}  # issues and pull requests share numbers
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.statuses: dict[str, list[dict[str, Any]]] = {}  # commit sha -> statuses, oldest first
        self.workflow_runs: list[dict[str, Any]] = []
        self.refs: dict[str, str] = {}  # "refs/heads/main" -> commit sha
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/user"): self._get_user,
            ("GET", "/repos/{owner}/{repo}/pulls"): self._list_pulls,
            ("POST", "/repos/{owner}/{repo}/pulls"): self._create_pull,
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"): self._get_pull,
            ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"): self._update_pull,
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"): self._list_reviews,
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"): self._list_commits,
            ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"): self._commit_pulls,
            ("GET", "/repos/{owner}/{repo}/issues"): self._list_issues,
            ("POST", "/repos/{owner}/{repo}/issues"): self._create_issue,
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): self._list_comments,
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): self._create_comment,
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): self._update_comment,
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): self._add_labels,
            ("POST", "/repos/{owner}/{repo}/statuses/{sha}"): self._create_status,
            (
                "GET",
                "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
            ): self._list_workflow_runs,
            ("GET", "/repos/{owner}/{repo}/git/ref/{ref}"): self._get_ref,
            ("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}"): self._matching_refs,
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.api_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -------------------------------------------------------------------- lifecycle

    def start(self) -> LoopbackGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)  # hang guard: the server thread ends in milliseconds

    # ------------------------------------------------------------- canned objects

    def _validated(self, schema: str, obj: dict[str, Any]) -> dict[str, Any]:
        errors = list(self.spec.schema(schema).iter_errors(obj))
        if errors:
            raise SpecViolation(f"canned {schema} is invalid: {errors[0].message}")
        return obj

    def add_user(
        self, login: str, *, user_type: str = "User", token: str | None = None
    ) -> dict[str, Any]:
        """A simple-user object; with ``token``, that token authenticates as this user."""
        user: dict[str, Any] = self.spec.example("simple-user")
        user_id = next(self._ids)
        user.update(
            login=login,
            id=user_id,
            type=user_type,
            node_id=f"U_{user_id}",
            url=f"https://api.github.com/users/{login}",
            html_url=f"https://github.com/{login}",
            site_admin=False,
        )
        self.users[login] = self._validated("simple-user", user)
        if token is not None:
            self.tokens[token] = login
        return user

    def add_installation_token(self, token: str) -> None:
        """A token that may not read GET /user (like the Actions GITHUB_TOKEN)."""
        self.tokens[token] = None

    def _user(self, login: str | None) -> dict[str, Any]:
        if login is None:
            login = "github-actions[bot]"
        if login not in self.users:
            self.add_user(login, user_type="Bot" if login.endswith("[bot]") else "User")
        return copy.deepcopy(self.users[login])

    def add_pull(
        self,
        number: int,
        *,
        author: str = "octocat",
        head_ref: str = "feature",
        base_ref: str = "main",
        commits: int = 1,
        state: str = "open",
        draft: bool = False,
        body: str | None = "Promote model",
        title: str = "Promote model",
    ) -> dict[str, Any]:
        pull: dict[str, Any] = self.spec.example("pull-request")
        full = f"{self.owner}/{self.repo}"
        pull.update(
            number=number,
            id=next(self._ids),
            state=state,
            draft=draft,
            title=title,
            body=body,
            commits=commits,
            user=self._user(author),
            html_url=f"https://github.com/{full}/pull/{number}",
            url=f"https://api.github.com/repos/{full}/pulls/{number}",
            requested_reviewers=[],
            requested_teams=[],
            assignees=[],
            assignee=None,
            labels=[],
            merged=False,
        )
        for side, ref in (("head", head_ref), ("base", base_ref)):
            pull[side].update(
                ref=ref,
                sha=fake_sha(number, side, ref),
                label=f"{self.owner}:{ref}",
                user=self._user(self.owner),
            )
        self.pulls[number] = self._validated("pull-request", pull)
        self._add_issue_entry(number, title, body, author, is_pull=True)
        self.reviews.setdefault(number, [])
        self.commits.setdefault(number, [])
        self.comments.setdefault(number, [])
        return pull

    def merge_pull(self, number: int, merge_sha: str, when: str = "2026-11-02T10:00:00Z") -> None:
        """Mark pull request ``number`` merged as commit ``merge_sha`` (as GitHub does after the
        merge button: closed, merged, ``merge_commit_sha`` the commit on the base)."""
        pull = self.pulls[number]
        pull.update(
            state="closed", merged=True, merged_at=when, closed_at=when, merge_commit_sha=merge_sha
        )
        self.issues[number].update(state="closed", closed_at=when)

    def add_review(
        self,
        pr: int,
        user: str | None,
        state: str,
        commit_id: str | None = None,
        *,
        user_type: str = "User",
    ) -> dict[str, Any]:
        """A review; ``user=None`` is a deleted account (GitHub sends ``"user": null``)."""
        review: dict[str, Any] = self.spec.example("pull-request-review-items")[0]
        review_id = next(self._ids)
        if user is not None and user not in self.users:
            self.add_user(user, user_type=user_type)
        review.update(
            id=review_id,
            node_id=f"PRR_{review_id}",
            user=None if user is None else self._user(user),
            state=state,
            commit_id=commit_id,
            submitted_at=f"2024-01-01T00:{review_id % 60:02d}:00Z",
        )
        if state == "PENDING":
            del review["submitted_at"]  # a pending review has not been submitted
        self.reviews[pr].append(self._validated("pull-request-review", review))
        return review

    def add_commit(
        self,
        pr: int,
        *,
        author: str | None = "octocat",
        committer: str | None = "web-flow",
        sha: str | None = None,
    ) -> dict[str, Any]:
        """A commit of pull request ``pr`` (``sha``: a real commit's id, else a made-up one)."""
        entry: dict[str, Any] = self.spec.example("commit-items")[0]
        sha = sha or fake_sha(pr, len(self.commits[pr]))
        entry.update(
            sha=sha,
            url=f"https://api.github.com/repos/{self.owner}/{self.repo}/commits/{sha}",
            author=None if author is None else self._user(author),
            committer=None if committer is None else self._user(committer),
        )
        entry["commit"]["author"]["email"] = f"{author or 'someone'}@example.com"
        self.commits[pr].append(self._validated("commit", entry))
        return entry

    def _add_issue_entry(
        self,
        number: int,
        title: str,
        body: str | None,
        author: str | None,
        *,
        is_pull: bool = False,
        labels: list[str] | None = None,
    ) -> dict[str, Any]:
        issue: dict[str, Any] = self.spec.example("issue")
        full = f"{self.owner}/{self.repo}"
        issue.update(
            id=next(self._ids),
            number=number,
            title=title,
            body=body,
            state="open",
            user=self._user(author),
            labels=[self._label(name) for name in labels or []],
            assignee=None,
            assignees=[],
            milestone=None,
            html_url=f"https://github.com/{full}/issues/{number}",
        )
        if is_pull:
            issue["pull_request"]["html_url"] = f"https://github.com/{full}/pull/{number}"
        else:
            issue.pop("pull_request", None)
        self.issues[number] = self._validated("issue", issue)
        self.comments.setdefault(number, [])
        return issue

    def add_issue(
        self, number: int, title: str, labels: list[str], author: str = "octocat"
    ) -> dict[str, Any]:
        return self._add_issue_entry(number, title, "", author, labels=labels)

    def _label(self, name: str) -> dict[str, Any]:
        label: dict[str, Any] = self.spec.example("label-items")[0]
        label.update(id=next(self._ids), name=name, url=f"https://api.github.com/labels/{name}")
        return self._validated("label", label)

    def add_comment(self, issue: int, author: str | None, body: str) -> dict[str, Any]:
        comment: dict[str, Any] = self.spec.example("issue-comment")
        comment_id = next(self._ids)
        comment.update(id=comment_id, body=body, user=self._user(author))
        self.comments[issue].append(self._validated("issue-comment", comment))
        return comment

    def add_workflow_run(
        self, workflow: str, created_at: str, *, conclusion: str | None, event: str = "schedule"
    ) -> dict[str, Any]:
        """A run of ``.github/workflows/<workflow>`` (``conclusion`` None: still running)."""
        run: dict[str, Any] = self.spec.example("workflow-run")
        run_id = next(self._ids)
        run.update(
            id=run_id,
            event=event,
            path=f".github/workflows/{workflow}",
            status="in_progress" if conclusion is None else "completed",
            conclusion=conclusion,
            created_at=created_at,
            updated_at=created_at,
            html_url=f"https://github.com/{self.owner}/{self.repo}/actions/runs/{run_id}",
        )
        self.workflow_runs.append(self._validated("workflow-run", run))
        return run

    # ------------------------------------------------------------------- routing

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Silence per-request stderr logging."""

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, body = server._dispatch(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return _Handler

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urllib.parse.urlsplit(target)
        query_lists = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            matched = self.spec.validate_request(method, url.path, query_lists, raw)
        except SpecViolation as exc:
            with self._lock:
                self.violations.append(f"request: {exc}")
            return self._send(None, 422, {"message": f"spec violation: {exc}"})
        op = matched.operation
        with self._lock:
            self.requests.append(Recorded(method, target, op.template, headers))
            fault = next(
                (f for f in self.faults if (f.method, f.template) == (method, op.template)),
                None,
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault is not None:
            if fault.raw is not None:
                return (
                    fault.status,
                    {"Content-Type": "application/json", **fault.headers},
                    fault.raw,
                )
            return self._send(op, fault.status, fault.body, fault.headers)
        header_error = self._check_headers(headers)
        if header_error is not None:
            return self._send(op, *header_error)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        ctx = Ctx(
            method=method,
            template=op.template,
            params=matched.path_params,
            query={k: v[0] for k, v in query_lists.items()},
            body=json.loads(raw) if raw else None,
            login=self.tokens[token],
        )
        if (matched.path_params.get("owner"), matched.path_params.get("repo")) not in {
            (None, None),
            (self.owner, self.repo),
        }:
            return self._send(op, 404, _not_found())
        handler = self._routes.get((method, op.template))
        if handler is None:
            with self._lock:
                self.violations.append(f"loopback does not emulate {method} {op.template}")
            return self._send(op, 404, _not_found())
        with self._lock:
            status, body = handler(ctx)
            extra: dict[str, str] = {}
            if isinstance(body, list) and method == "GET" and status == 200:
                body, extra = self._page(body, url.path, ctx.query)
        return self._send(op, status, body, extra)

    def _check_headers(self, headers: dict[str, str]) -> tuple[int, Any] | None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            }
        if headers.get("accept") != "application/vnd.github+json":
            return 415, {"message": "Unsupported Accept header"}
        if headers.get("x-github-api-version") != "2022-11-28":
            return 400, {"message": "Unsupported API version"}
        if not headers.get("user-agent"):
            return 403, {"message": "Request forbidden: a User-Agent header is required"}
        return None

    def _page(
        self, items: list[Any], path: str, query: dict[str, str]
    ) -> tuple[list[Any], dict[str, str]]:
        """GitHub-style paging: ``per_page`` (default 30, max 100), ``page``, Link header."""
        per_page = min(int(query.get("per_page", "30")), 100)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        for rel, number in (("next", page + 1), ("last", last)):
            if page < last:
                link_query = urllib.parse.urlencode({**query, "page": number})
                links.append(f'<{self.api_url}{path}?{link_query}>; rel="{rel}"')
        return chunk, ({"Link": ", ".join(links)} if links else {})

    def _send(
        self, op: Any, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        raw = b"" if body is None else json.dumps(body).encode()
        if op is not None:
            try:
                self.spec.validate_response(op, status, raw)
            except SpecViolation as exc:
                with self._lock:
                    self.violations.append(f"response: {exc}")
        return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, raw

    # ----------------------------------------------------------------- endpoints

    def _get_user(self, ctx: Ctx) -> tuple[int, Any]:
        if ctx.login is None:
            return 403, {"message": "Resource not accessible by integration"}
        user = self.spec.example("private-user")
        user.update({k: v for k, v in self.users[ctx.login].items() if k in user})
        return 200, user

    def _pull_or_404(self, number: str) -> dict[str, Any] | None:
        return self.pulls.get(int(number))

    def _list_pulls(self, ctx: Ctx) -> tuple[int, Any]:
        state = ctx.query.get("state", "open")
        head = ctx.query.get("head")
        items = []
        for number in sorted(self.pulls):
            pull = self.pulls[number]
            if state != "all" and pull["state"] != state:
                continue
            if head is not None and pull["head"]["label"] != head:
                continue
            simple = self.spec.example("pull-request-simple-items")[0]
            simple.update({k: copy.deepcopy(v) for k, v in pull.items() if k in simple})
            items.append(simple)
        return 200, items

    def _create_pull(self, ctx: Ctx) -> tuple[int, Any]:
        body = ctx.body
        for pull in self.pulls.values():
            if (
                pull["state"] == "open"
                and pull["head"]["ref"] == body["head"]
                and pull["base"]["ref"] == body["base"]
            ):
                return 422, {
                    "message": "Validation Failed",
                    "documentation_url": "https://docs.github.com/rest/pulls/pulls",
                    "errors": [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": "A pull request already exists",
                        }
                    ],
                }
        number = max([0, *self.issues]) + 1
        pull = self.add_pull(
            number,
            author=ctx.login or "github-actions[bot]",
            head_ref=body["head"],
            base_ref=body["base"],
            draft=body.get("draft", False),
            title=body["title"],
            body=body.get("body"),
        )
        return 201, pull

    def _get_pull(self, ctx: Ctx) -> tuple[int, Any]:
        pull = self._pull_or_404(ctx.params["pull_number"])
        return (200, pull) if pull else (404, _not_found())

    def _update_pull(self, ctx: Ctx) -> tuple[int, Any]:
        pull = self._pull_or_404(ctx.params["pull_number"])
        if pull is None:
            return 404, _not_found()
        for key in ("title", "body"):
            if key in ctx.body:
                pull[key] = ctx.body[key]
        return 200, pull

    def _list_reviews(self, ctx: Ctx) -> tuple[int, Any]:
        number = int(ctx.params["pull_number"])
        if number not in self.pulls:
            return 404, _not_found()
        return 200, self.reviews[number]

    def _list_commits(self, ctx: Ctx) -> tuple[int, Any]:
        number = int(ctx.params["pull_number"])
        if number not in self.pulls:
            return 404, _not_found()
        return 200, self.commits[number][:250]  # GitHub's cap on this listing

    def _commit_pulls(self, ctx: Ctx) -> tuple[int, Any]:
        """The merged pull request that introduced the commit (its merge commit, or a commit
        of its head), as "list pull requests associated with a commit" answers."""
        sha = ctx.params["commit_sha"]
        items = []
        for number in sorted(self.pulls):
            pull = self.pulls[number]
            ours = {pull.get("merge_commit_sha"), pull["head"]["sha"]}
            ours |= {c["sha"] for c in self.commits.get(number, [])}
            if sha in ours:
                simple = self.spec.example("pull-request-simple-items")[0]
                simple.update({k: copy.deepcopy(v) for k, v in pull.items() if k in simple})
                items.append(simple)
        return 200, items

    def _list_issues(self, ctx: Ctx) -> tuple[int, Any]:
        wanted = {name for name in ctx.query.get("labels", "").split(",") if name}
        items = [
            issue
            for _, issue in sorted(self.issues.items())
            if issue["state"] == ctx.query.get("state", "open")
            and wanted <= {label["name"] for label in issue["labels"]}
        ]
        if ctx.query.get("direction", "desc") == "desc":
            items.reverse()
        return 200, items

    def _create_issue(self, ctx: Ctx) -> tuple[int, Any]:
        number = max([0, *self.issues]) + 1
        issue = self._add_issue_entry(
            number,
            ctx.body["title"],
            ctx.body.get("body"),
            ctx.login,
            labels=list(ctx.body.get("labels", [])),
        )
        return 201, issue

    def _list_comments(self, ctx: Ctx) -> tuple[int, Any]:
        number = int(ctx.params["issue_number"])
        if number not in self.issues:
            return 404, _not_found()
        return 200, self.comments[number]

    def _create_comment(self, ctx: Ctx) -> tuple[int, Any]:
        number = int(ctx.params["issue_number"])
        if number not in self.issues:
            return 404, _not_found()
        return 201, self.add_comment(number, ctx.login, ctx.body["body"])

    def _update_comment(self, ctx: Ctx) -> tuple[int, Any]:
        comment_id = int(ctx.params["comment_id"])
        for comment in itertools.chain.from_iterable(self.comments.values()):
            if comment["id"] == comment_id:
                comment["body"] = ctx.body["body"]
                return 200, comment
        return 404, _not_found()

    def _add_labels(self, ctx: Ctx) -> tuple[int, Any]:
        number = int(ctx.params["issue_number"])
        issue = self.issues.get(number)
        if issue is None:
            return 404, _not_found()
        names = {label["name"] for label in issue["labels"]}
        for name in ctx.body["labels"]:
            if name not in names:
                issue["labels"].append(self._label(name))
                names.add(name)
        return 200, issue["labels"]

    def _create_status(self, ctx: Ctx) -> tuple[int, Any]:
        sha = ctx.params["sha"]
        description = ctx.body.get("description")
        # Rules GitHub enforces beyond the schema; it answers 422, which the description does
        # not list for this operation, so breaking them is recorded as a violation.
        if description is not None and len(description) > 140:
            self.violations.append("request: status description longer than 140 characters")
            return 422, {"message": "Validation Failed"}
        if not all(c in "0123456789abcdef" for c in sha) or len(sha) not in {40, 64}:
            self.violations.append(f"request: status for {sha!r}, which is not a commit sha")
            return 422, {"message": f"No commit found for SHA: {sha}"}
        status = self.spec.example("status")
        status_id = next(self._ids)
        status.update(
            id=status_id,
            node_id=f"SC_{status_id}",
            url=f"https://api.github.com/repos/{self.owner}/{self.repo}/statuses/{sha}",
            state=ctx.body["state"],
            description=description,
            target_url=ctx.body.get("target_url"),
            context=ctx.body.get("context", "default"),
            creator=self._user(ctx.login),
        )
        self.statuses.setdefault(sha, []).append(self._validated("status", status))
        return 201, status

    def _list_workflow_runs(self, ctx: Ctx) -> tuple[int, Any]:
        """A workflow's runs, newest first, filtered by ``status`` (a status or a
        conclusion, as GitHub filters); the workflow by its file name."""
        workflow = ctx.params["workflow_id"]  # every workflow exists here (no 404 is described)
        wanted = ctx.query.get("status")
        runs = [
            r
            for r in self.workflow_runs
            if r["path"].endswith(f"/{workflow}") and wanted in (None, r["status"], r["conclusion"])
        ]
        runs.sort(key=lambda r: r["created_at"], reverse=True)
        per_page = min(int(ctx.query.get("per_page", "30")), 100)
        page = int(ctx.query.get("page", "1"))
        chunk = runs[(page - 1) * per_page : page * per_page]
        return 200, {"total_count": len(runs), "workflow_runs": chunk}

    def set_ref(self, name: str, sha: str) -> None:
        """Point the reference ``name`` (``refs/heads/main``) at commit ``sha``."""
        self.refs[name] = sha

    def _git_ref(self, name: str) -> dict[str, Any]:
        ref: dict[str, Any] = self.spec.example("git-ref")
        base = f"https://api.github.com/repos/{self.owner}/{self.repo}"
        ref.update(
            ref=name,
            node_id=f"REF_{name}",
            url=f"{base}/git/{name}",
            object={"type": "commit", "sha": self.refs[name], "url": f"{base}/git/commits/x"},
        )
        return self._validated("git-ref", ref)

    def _get_ref(self, ctx: Ctx) -> tuple[int, Any]:
        name = "refs/" + ctx.params["ref"]
        return (200, self._git_ref(name)) if name in self.refs else (404, _not_found())

    def _matching_refs(self, ctx: Ctx) -> tuple[int, Any]:
        prefix = "refs/" + ctx.params["ref"]
        return 200, [self._git_ref(name) for name in sorted(self.refs) if name.startswith(prefix)]

    def latest_status(self, sha: str, context: str) -> dict[str, Any] | None:
        """What GitHub shows for ``context`` on ``sha``: its most recent status (contexts are
        case-insensitive)."""
        matching = [
            s for s in self.statuses.get(sha, []) if s["context"].lower() == context.lower()
        ]
        return matching[-1] if matching else None


def _not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
