"""``make demo``: the whole story on a throw-away registry, with no network.

A temp git repo with a bare ``origin``, ``dvc init`` with a local-directory remote, the
demo pipeline run by ``dvc repro``, and the loopback GitHub of the tests (in-process,
every request and response checked against GitHub's OpenAPI description). The workflows'
steps (check, apply, drift, experiment) run the real ``gfops`` CLI in a subprocess, as CI
would; the data scientist's (promote, rollback) call the library's verbs, as a script
would — the functions the CLI calls:

1. register 1.0.0; PRs move it development -> testing -> staging -> production, each
   judged by ``gfops check`` with reviews given on the loopback, merged, ``gfops apply``;
2. train and register 1.1.0; a PR skipping it from development to production is blocked;
3. 1.1.0 to staging; its production PR is blocked (GF212) until the A/B experiment
   1.0.0 vs 1.1.0 is analysed and concluded; then allowed with two ml-leads approvals;
4. ``gfops status``, ``history`` and ``audit verify``;
5. a rollback brings 1.0.0 back to production;
6. the scheduled drift job finds planted drift and opens a retraining PR; a second run
   updates that PR instead of opening another;
7. apply signs every tag (the demo key the example policies trust): a record rewritten to
   claim a PR and approvals, unsigned, is caught by ``audit verify``.

Any step that does not give the expected exit code fails the demo (exit 1). Everything
happens in a temp dir removed at the end (``--keep`` leaves it for a look around).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from galfriday_gitops.demo.helpers import (
    DemoFailure,
    expect,
    forge_summary,
    retrained_differs,
    set_params,
    step,
)
from galfriday_gitops.forge.actions import ActionsEnv
from galfriday_gitops.report.preview import outlook
from galfriday_gitops.write.promote import PromoteRequest, promote
from galfriday_gitops.write.propose import Proposed
from galfriday_gitops.write.rollback import RollbackRequest, rollback

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT  # dvc.yaml and params.yaml of this repo, itself a registry
SPECS = PROJECT / ".cache" / "github-specs" / "node_modules" / "@octokit"
OPENAPI = SPECS / "openapi" / "generated" / "api.github.com.json"
WEBHOOKS = SPECS / "webhooks-examples" / "api.github.com" / "index.json"
MODEL = "price-direction"
EXPERIMENT = "price-direction-1.1-vs-1.0"
FEATURES = "spread_bps,imbalance_l5,ret_5m,ret_1h,vol_1h,session"
IDENTITY = {"GIT_AUTHOR_NAME": "Dana Scientist", "GIT_AUTHOR_EMAIL": "dana@example.com",
            "GIT_COMMITTER_NAME": "Dana Scientist", "GIT_COMMITTER_EMAIL": "dana@example.com",
            "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
# The demo signing key: its private half is public (signing/README.md), the example
# policies/allowed_signers trusts it, and audit verify warns that it does (GF313).
DEMO_KEY = Path(__file__).with_name("signing") / "demo_signing_key"
AUTHOR = "dana"  # the data scientist: opens the PRs, so she cannot approve them
TEAM = {"bob": "ml-team", "dave": "ml-leads", "erin": "ml-leads", "frank": "platform"}
# The experiment the demo registry declares (its design is explained in the file).
EXPERIMENT_FILE = Path(__file__).with_name(f"{EXPERIMENT}.yaml")


def note(text: str) -> None:
    print(f"    # {text}", flush=True)


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Demo:
    root: Path
    github: Any = None  # tests.support.loopback.LoopbackGitHub (imported at run time)
    extra_env: dict[str, str] = field(default_factory=dict)
    bot_token: str = ""  # the scheduled jobs' identity (galfriday-bot)

    @property
    def repo(self) -> Path:
        return self.root / "registry"

    def env(self, overrides: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(IDENTITY)
        env["HOME"] = str(self.root / "home")  # no user git config, no dvc global config
        # dvc.yaml runs `python -m ...`: make that this interpreter, with this package.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
        env["DVC_NO_ANALYTICS"] = "1"
        for key in ("GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY"):
            env.pop(key, None)
        env.update(self.extra_env)
        env.update(overrides or {})
        return env

    def sh(
        self,
        *cmd: str,
        ok: tuple[int, ...] = (0,),
        show: bool = True,
        quiet: bool = False,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Result:
        if show:
            shown = " ".join(cmd).replace(f"{sys.executable} -m galfriday_gitops", "gfops")
            print("$ " + shown.replace(sys.executable, "python"), flush=True)
        proc = subprocess.run(
            cmd, cwd=cwd or self.repo, env=self.env(env), capture_output=True, text=True
        )
        if show and not quiet and proc.stdout.strip():
            print(proc.stdout.rstrip(), flush=True)
        if proc.returncode not in ok:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise DemoFailure(f"exit {proc.returncode} (expected {ok}): {' '.join(cmd)}")
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def gfops(self, *args: str, ok: tuple[int, ...] = (0,), **kw: Any) -> Result:
        return self.sh(sys.executable, "-m", "galfriday_gitops", *args, ok=ok, **kw)

    def git(self, *args: str) -> str:
        return self.sh("git", *args, show=False).out.strip()

    def dvc(self, *args: str) -> Result:
        return self.sh(sys.executable, "-m", "dvc", *args)

    # ------------------------------------------------------------ pull requests

    def opened(self, result: Result) -> tuple[int, str]:
        """The PR number and branch a write command printed."""
        number = re.search(r"pull request #(\d+)", result.out)
        branch = re.search(r"\bbranch (galfriday/\S+)", result.out)
        if number is None or branch is None:
            raise DemoFailure(f"no pull request in the output:\n{result.out}")
        return int(number[1]), branch[1]

    def sync_pull(self, number: int, branch: str) -> str:
        """Make the loopback's PR point at the real commits (GitHub learns them from the
        push; the loopback only sees the API call), with one commit by the author."""
        head = self.git("rev-parse", branch)
        pull = self.github.pulls[number]
        pull["head"]["sha"] = head
        pull["base"]["sha"] = self.git("rev-parse", "main")
        pull["commits"] = 1
        self.github.commits[number] = []
        entry = self.github.add_commit(number, author=AUTHOR, committer=AUTHOR)
        entry["sha"] = head
        return head

    def approve(self, number: int, *logins: str) -> None:
        head = self.github.pulls[number]["head"]["sha"]
        for login in logins:
            self.github.add_review(number, login, "APPROVED", head)
        if logins:
            who = ", ".join(f"{u} ({TEAM[u]})" for u in logins)
            print(f"  loopback: {who} approved PR #{number} at {head[:7]}", flush=True)

    def check(self, number: int, *, allowed: bool, fmt: str = "text") -> Result:
        """``gfops check`` as the check workflow runs it: the pull_request event payload,
        reviews read from the forge, the PR comment and the commit status updated."""
        pull = self.github.pulls[number]
        examples = json.loads(WEBHOOKS.read_text(encoding="utf-8"))
        event = next(
            e
            for d in examples
            if d["name"] == "pull_request"
            for e in d["examples"]
            if e.get("action") == "synchronize"
        )
        event["number"] = event["pull_request"]["number"] = number
        event["pull_request"]["head"]["sha"] = pull["head"]["sha"]
        event["pull_request"]["base"]["sha"] = self.git("rev-parse", "main")
        event["pull_request"]["user"]["login"] = AUTHOR
        path = self.root / f"event-{number}.json"
        path.write_text(json.dumps(event), encoding="utf-8")
        result = self.gfops(
            "check", "--event", str(path), "--event-name", "pull_request",
            "--comment", "--status", "--format", fmt, ok=(0 if allowed else 1,),
            env={"GITHUB_TOKEN": self.bot_token},  # the workflows run as the bot
        )  # fmt: skip
        print(f"  -> {'ALLOWED' if allowed else 'BLOCKED'} (exit {result.code})", flush=True)
        return result

    def merge(self, number: int, branch: str) -> None:
        """Merge the PR as GitHub's merge button does, push main, then ``gfops apply``
        as the apply workflow runs on that push."""
        before = self.git("rev-parse", "main")
        self.sh(
            "git", "merge", "-q", "--no-ff", branch,
            "-m", f"Merge pull request #{number} from {self.github.owner}/{branch}",
        )  # fmt: skip
        self.sh("git", "push", "-q", "origin", "main", show=False)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.github.merge_pull(number, self.git("rev-parse", "main"), now)  # as GitHub does
        self.apply(before)

    def apply(self, before: str) -> None:
        self.gfops(
            "apply", "--before", before, "--after", "main", "--push", "--actor", AUTHOR,
            env={"GITHUB_TOKEN": self.bot_token},
        )  # fmt: skip

    def commit_on_main(self, message: str) -> None:
        before = self.git("rev-parse", "main")
        self.sh("git", "add", "-A", show=False)
        self.sh("git", "commit", "-q", "-m", message)
        self.sh("git", "push", "-q", "origin", "main", show=False)
        self.apply(before)

    def propose(self, verb: Callable[..., Proposed], request: Any, what: str) -> tuple[int, str]:
        """A write verb of the library, as a script calls it (as the data scientist: her git
        identity and token for the call); returns the PR and branch."""
        print(f">>> {verb.__name__}({what}, open_pr=True)", flush=True)
        with mock.patch.dict(os.environ, self.env()):
            result = verb(self.repo, request, actions=ActionsEnv.read())
        pull = result.proposal.pull
        if pull is None:
            raise DemoFailure(f"{verb.__name__} opened no pull request")
        preview = outlook(result.preview).replace("*", "")
        print(f"  PR #{pull.number} ({result.proposal.branch}); preview: {preview}", flush=True)
        return pull.number, result.proposal.branch

    def review_and_merge(
        self,
        number: int,
        branch: str,
        approvers: tuple[str, ...],
        allowed: bool = True,
        fmt: str = "text",
    ) -> Result:
        """Reviews on the loopback, the check workflow; merged (and applied) when allowed."""
        self.sync_pull(number, branch)
        self.approve(number, *approvers)
        verdict = self.check(number, allowed=allowed, fmt=fmt)
        if allowed:
            self.merge(number, branch)
        return verdict

    def promote(
        self, version: str, stage: str, approvers: tuple[str, ...], **kw: Any
    ) -> tuple[int, Result]:
        """promote (open_pr), reviews, check; merged when allowed."""
        request = PromoteRequest(MODEL, version, stage, open_pr=True)
        number, branch = self.propose(promote, request, f"{MODEL!r}, {version!r}, {stage!r}")
        return number, self.review_and_merge(number, branch, approvers, **kw)


# ------------------------------------------------------------------ the story


def build_registry(demo: Demo) -> None:
    """git + bare origin + DVC + the project's policies + the pipeline template."""
    repo, remote, origin = demo.repo, demo.root / "dvc-remote", demo.root / "origin.git"
    for folder in (repo, remote, demo.root / "home"):
        folder.mkdir()
    # HEAD on main, as GitHub's is: `git clone` and `dvc artifacts get <origin>` check it out.
    demo.sh("git", "init", "-q", "--bare", "-b", "main", str(origin), show=False, cwd=demo.root)
    demo.sh("git", "init", "-q", "-b", "main")
    demo.sh("git", "remote", "add", "origin", str(origin))
    key = demo.root / "home" / "demo_signing_key"  # ssh-keygen wants it private (mode 0600)
    shutil.copyfile(DEMO_KEY, key)
    key.chmod(0o600)
    for name, value in (("gpg.format", "ssh"), ("user.signingkey", str(key))):
        demo.sh("git", "config", name, value, show=False)
    demo.dvc("init", "-q")
    demo.dvc("remote", "add", "-d", "local", str(remote))
    for part in ("policies", "schemas"):
        shutil.copytree(PROJECT / part, repo / part)
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copyfile(TEMPLATE / name, repo / name)
    # GF212 already demands a concluded, won experiment of every production candidate that
    # replaces a baseline; requiring spec.lineage.experiment of *every* production entry
    # would also block the first production version and rollbacks, which GF212 exempts.
    stages = repo / "policies" / "stages.yaml"
    text = stages.read_text(encoding="utf-8")
    gate = "      requiredFields: [spec.lineage.experiment]\n"
    if gate not in text:
        raise DemoFailure("policies/stages.yaml: production requiredFields not found")
    stages.write_text(text.replace(gate, ""), encoding="utf-8")
    (repo / "experiments").mkdir()
    shutil.copyfile(EXPERIMENT_FILE, repo / "experiments" / EXPERIMENT_FILE.name)
    set_params(
        repo,
        {
            "experiment.name": EXPERIMENT,
            "experiment.split": "0.5",
            "experiment.error_rate.control": "0.02",
            "experiment.error_rate.treatment": "0.02",
        },
    )
    demo.sh("git", "add", "-A", show=False)
    demo.sh("git", "commit", "-q", "-m", "Registry skeleton: policies, experiment, pipeline")
    demo.sh("git", "push", "-q", "origin", "main", show=False)


def register(demo: Demo, version_args: tuple[str, ...], *extra: str) -> None:
    demo.gfops(
        "register", "build/model/model.json", "--name", MODEL, *version_args,
        "--metrics", "build/metrics.json", "--model-type", "logistic-regression",
        "--framework", "numpy", "--target", "direction_1h", "--features", FEATURES, *extra,
    )  # fmt: skip


def story(demo: Demo) -> None:
    step("A fresh registry: git + bare origin, DVC with a local remote, policies")
    build_registry(demo)

    step("1. Train and register 1.0.0 (dvc repro; dvc add + dvc push + manifest)")
    demo.dvc("repro", "--quiet")
    print((demo.repo / "build/metrics.json").read_text().strip())
    register(demo, ("--version", "1.0.0"))
    demo.commit_on_main(f"Register {MODEL} 1.0.0")

    step("1. Promote 1.0.0 development -> testing -> staging -> production, one PR each")
    note("testing needs no approval; staging one from ml-team/ml-leads; production two ml-leads")
    demo.promote("1.0.0", "testing", ())
    demo.promote("1.0.0", "staging", ("bob",))
    demo.promote("1.0.0", "production", ("dave", "erin"))

    step("3. Train 1.1.0 (another seed), register it with its experiment")
    set_params(demo.repo, {"seed": "7"})
    demo.dvc("repro", "--quiet")
    print((demo.repo / "build/metrics.json").read_text().strip())
    register(demo, ("--bump", "minor"), "--experiment", EXPERIMENT, "--parent", "1.0.0")
    demo.commit_on_main(f"Register {MODEL} 1.1.0 (seed 7)")

    step("2. A PR skipping 1.1.0 from development straight to production")
    blocked, verdict = demo.promote("1.1.0", "production", (), allowed=False, fmt="markdown")
    expect(verdict.out, "GF200", "GF202")
    note("blocked: not a transition of the policy, no approvals, no concluded experiment")
    demo.github.pulls[blocked]["state"] = "closed"  # the reviewer closes it on GitHub
    demo.github.issues[blocked]["state"] = "closed"

    step("3. 1.1.0 development -> testing -> staging")
    demo.promote("1.1.0", "testing", ())
    demo.promote("1.1.0", "staging", ("bob",))

    step("3. 1.1.0 -> production before the experiment is concluded: blocked (GF212)")
    _, verdict = demo.promote("1.1.0", "production", ("dave", "erin"), allowed=False)
    expect(verdict.out, "GF212")

    step("3. The A/B experiment: control 1.0.0 vs treatment 1.1.0 (pipeline's simulate)")
    demo.gfops("experiment", "analyze", f"experiments/{EXPERIMENT}.yaml")
    result = demo.gfops("experiment", "conclude", EXPERIMENT, "--open-pr")
    note("the check recomputes the result from the outcome data in DVC; an owner approves")
    demo.review_and_merge(*demo.opened(result), ("frank",))

    step("3. The production PR again, on the concluded experiment: allowed")
    demo.promote("1.1.0", "production", ("dave", "erin"))

    step("4. Status, history, audit")
    status = demo.gfops("status").out
    demo.gfops("history", MODEL)
    demo.gfops("audit", "verify")
    expect(status, "1.1.0")

    step("5. Roll back production to 1.0.0")
    reason = "pnl below forecast since the last release"
    request = RollbackRequest(MODEL, reason=reason, open_pr=True)
    number, branch = demo.propose(rollback, request, f"{MODEL!r}, reason={reason!r}")
    demo.review_and_merge(number, branch, ("dave", "erin"))
    status = json.loads(demo.gfops("status", "--format", "json", show=False).out)
    serving = status["models"][MODEL].get("production")
    demo.gfops("status")
    if serving != ["1.0.0"]:
        raise DemoFailure(f"production after the rollback is {serving}, expected 1.0.0")
    print("rollback restored 1.0.0 to production", flush=True)

    step("6. Scheduled drift job: planted drift (data.regime_shift), then --act twice")
    set_params(demo.repo, {"data.regime_shift": "0.6"})
    demo.dvc("repro", "--quiet", "simulate")
    report_dir = demo.root / "drift-report"
    demo.gfops("drift", "--model", MODEL, "--report", str(report_dir), ok=(1,))
    bot = {"GITHUB_TOKEN": demo.bot_token}
    demo.gfops("drift", "--all", "--act", ok=(1,), env=bot, quiet=True)
    first = retraining_pulls(demo)
    print(f"  loopback: retraining PRs {first}", flush=True)
    retrained_differs(demo.git, MODEL)
    note("the next scheduled run finds the same drift: it must update that PR, not add one")
    second = demo.gfops("drift", "--all", "--act", ok=(1,), env=bot, quiet=True)
    expect(second.out, "updated PR")
    after = retraining_pulls(demo)
    if len(first) != 1 or after != first:
        raise DemoFailure(f"retraining PRs: {first} after the first run, {after} after the second")
    print(f"  loopback: retraining PRs {after}: retraining PR updated, not duplicated", flush=True)

    step("7. A forged audit record: signed tags are the proof, a rewritten one is caught")
    forged_record(demo)


def forged_record(demo: Demo) -> None:
    """Rewrite the rollback's production tag to claim PR #77 and approvers who never
    approved it, as anyone who can push a tag could: unsigned, it fails audit verify."""
    name = demo.git("tag", "-l", f"{MODEL}#production#*", "--sort=-taggerdate").split()[0]
    original = demo.git("rev-parse", f"refs/tags/{name}")
    fields = "%(contents:subject)%0a%0a%(contents:body)"
    message = demo.git("for-each-ref", f"--format={fields}", f"refs/tags/{name}")
    forged = re.sub(r'"approvers": \[[^]]*\]', '"approvers": ["mallory"]', message)
    forged = re.sub(r'"pr": \d+', '"pr": 77', forged)
    demo.sh("git", "tag", "-f", "-a", "--cleanup=verbatim", "-m", forged, name, f"{name}^{{}}",
            show=False)  # fmt: skip
    print(f"$ git tag -f {name} (record now claims PR #77, approved by mallory)", flush=True)
    caught = demo.gfops("audit", "verify", ok=(1,))
    expect(caught.out, "GF304", "GF305", "PR #77")
    demo.sh("git", "update-ref", f"refs/tags/{name}", original, show=False)  # put it back
    demo.gfops("audit", "verify")


def retraining_pulls(demo: Demo) -> list[int]:
    return [
        n for n, p in demo.github.pulls.items() if p["head"]["ref"].startswith("galfriday/retrain/")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temp registry")
    args = parser.parse_args(argv)
    # One loopback GitHub for tests and demo, the tests' own (tests/support/, no second
    # fake): what the demo shows is what the tests check against GitHub's OpenAPI description.
    sys.path.insert(0, str(PROJECT))
    loopback = importlib.import_module("tests.support.loopback")
    openapi = importlib.import_module("tests.support.openapi")

    if not OPENAPI.is_file() or not WEBHOOKS.is_file():
        print("GitHub's API description is missing: run `make specs` first", file=sys.stderr)
        return 2
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="galfriday-demo-"))
    github = loopback.LoopbackGitHub(openapi.OpenAPISpec(OPENAPI)).start()
    # Fresh tokens per run, known only to this loopback (and never printed).
    dana_token, bot_token = f"ghp_{secrets.token_hex(18)}", f"ghp_{secrets.token_hex(18)}"
    github.add_user(AUTHOR, token=dana_token)
    github.add_user(loopback.BOT_LOGIN, user_type="Bot", token=bot_token)
    for login in TEAM:
        github.add_user(login)
    demo = Demo(root, github, bot_token=bot_token)
    demo.extra_env = {
        "GITHUB_TOKEN": dana_token,
        "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
        "GITHUB_API_URL": github.api_url,
    }
    code = 0
    try:
        story(demo)
        forge_summary(github)
        if github.violations:
            raise DemoFailure("the forge traffic broke GitHub's OpenAPI description")
    except DemoFailure as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
        code = 1
    finally:
        github.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"\ndemo: {time.monotonic() - started:.1f} s; registry {root}"
        + ("" if args.keep else " (removed; --keep keeps it)")
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
