"""The GitHub Actions workflows and the composite action: valid, zizmor-clean, and trustworthy.

Three layers: GitHub's published schemas (check-jsonschema's vendored copies), zizmor's audits
(offline), and the trust rules of docs/trust.md checked on the parsed YAML. The tools are dev
dependencies: when one is missing the tests fail with how to install it, never skip. Both run
with an unreachable proxy, so a test that passes proves nothing was downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CODEOWNERS = ROOT / ".github" / "CODEOWNERS"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
DEPLOY_EXAMPLE = ROOT / "docs" / "examples" / "deploy-on-production.yml"
WORKFLOW_NAMES = ["apply", "audit", "check", "ci", "drift", "lifecycle", "pages", "review"]
WORKFLOWS = {name: WORKFLOWS_DIR / f"{name}.yml" for name in WORKFLOW_NAMES}
# Triggers that run with a write token and secrets while a pull request's content is at hand.
PRIVILEGED_TRIGGERS = {"pull_request_target", "workflow_run"}
GATE_TRIGGERS = {*PRIVILEGED_TRIGGERS, "merge_group"}
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
PIN_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v\d+\.\d+\.\d+\s*$")
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
# Every write permission any GITHUB_TOKEN gets, and why (docs/trust.md, "Permissions").
EXPECTED_WRITES = {
    ("check", "pull-request"): {"statuses"},  # the gate: the required status, nothing else
    # the comment, and the opt-in SARIF upload to code scanning (docs/github-setup.md 6b)
    ("check", "report"): {"pull-requests", "security-events"},
    ("check", "merge-queue"): {"statuses"},
    ("audit", "keep-alive"): {"actions"},  # re-enable the scheduled workflows
    ("pages", "deploy"): {"pages", "id-token"},
}
BOT = "${{ secrets.GALFRIDAY_BOT_TOKEN }}"


# ---------------------------------------------------------------------------------- helpers


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    path = str(found) if found.is_file() else shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: it is a dev dependency (`make install`, or "
            f"`.venv/bin/pip install -e '.[dev]'`)",
            pytrace=False,
        )
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=120,  # hang guard: each tool run takes < 0.5 s on a quiet machine
        check=False,
        cwd=ROOT,
        env={**os.environ, **OFFLINE},
    )


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


def _triggers(workflow: Mapping[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True (so keys are not all strings).
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict)
    return on


def _steps(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(job id, step) of workflow ``name``; the composite action's steps under ``action``."""
    if name == "action":
        for step in _load(ACTION)["runs"]["steps"]:
            yield "action", step
        return
    for job_id, job in _load(WORKFLOWS[name])["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _all_steps() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name in [*WORKFLOW_NAMES, "action"]:
        for job_id, step in _steps(name):
            yield name, job_id, step


def _checkouts(name: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, step.get("with") or {})
        for job_id, step in _steps(name)
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]


def _with_trigger(triggers: set[str]) -> list[str]:
    return [n for n in WORKFLOW_NAMES if triggers & set(_triggers(_load(WORKFLOWS[n])))]


# ------------------------------------------------------------------- schema and zizmor


def test_the_expected_workflows_and_nothing_else() -> None:
    assert sorted(p.stem for p in WORKFLOWS_DIR.iterdir()) == WORKFLOW_NAMES
    assert all(p.suffix == ".yml" for p in WORKFLOWS_DIR.iterdir())


def test_workflows_match_githubs_workflow_schema() -> None:
    tool = _tool("check-jsonschema")
    files = [str(p) for p in WORKFLOWS.values()]
    result = _run(tool, "--builtin-schema", "vendor.github-workflows", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_matches_githubs_action_schema() -> None:
    tool = _tool("check-jsonschema")
    result = _run(tool, "--builtin-schema", "vendor.github-actions", str(ACTION))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")  # no runs-on
    result = _run(
        _tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)
    )
    assert result.returncode == 1, result.stdout + result.stderr


def _zizmor(*paths: Path) -> list[dict[str, Any]]:
    result = _run(_tool("zizmor"), "--offline", "--format", "json", *map(str, paths))
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor gave no JSON (exit {result.returncode}): {result.stderr}")
    assert isinstance(findings, list)
    return findings


def test_zizmor_finds_nothing() -> None:
    findings = _zizmor(WORKFLOWS_DIR, ACTION, HOOKS)
    summary = [
        f"{f.get('ident')}: {loc.get('annotation')} in {loc.get('key')} at {loc.get('route')}"
        for f in findings
        for loc in [f.get("locations", [{}])[0].get("symbolic", {})]
    ]
    assert findings == [], "zizmor findings:\n" + "\n".join(summary)


def test_zizmor_is_really_auditing(tmp_path: Path) -> None:
    """A canary: the same invocation flags an injectable, unpinned workflow."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\n"
        "permissions: {}\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions: {}\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo '${{ github.event.pull_request.title }}'\n",
        encoding="utf-8",
    )
    idents = {f["ident"] for f in _zizmor(bad)}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= idents


def test_the_only_zizmor_ignores_are_justified_dangerous_triggers() -> None:
    ignores = []
    for path in [*WORKFLOWS.values(), ACTION, HOOKS]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "zizmor:" in line:
                ignores.append((path.name, number, line.strip()))
    assert [(name, line.split(":")[0]) for name, _, line in ignores] == [
        ("check.yml", "pull_request_target"),
        ("check.yml", "workflow_run"),
    ]
    for _, _, line in ignores:
        directive, _, why = line.partition("# zizmor: ignore[dangerous-triggers]")
        assert directive and len(why.split()) >= 5, f"ignore without a reason: {line}"


# ------------------------------------------------------------------------ trust rules


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_every_workflow_defaults_to_no_permissions_and_every_job_declares_its_own(
    name: str,
) -> None:
    workflow = _load(WORKFLOWS[name])
    assert workflow.get("permissions") == {}
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"{name}.yml job {job_id}: no explicit permissions"
        assert isinstance(job["permissions"], dict), f"{name}.yml job {job_id}: use a mapping"


def test_write_permissions_are_exactly_the_documented_ones() -> None:
    writes = {}
    for name in WORKFLOW_NAMES:
        for job_id, job in _load(WORKFLOWS[name])["jobs"].items():
            granted = {scope for scope, level in job["permissions"].items() if level == "write"}
            if granted:
                writes[(name, job_id)] = granted
            assert set(job["permissions"].values()) <= {"read", "write", "none"}
    assert writes == EXPECTED_WRITES


def test_every_action_is_pinned_to_a_full_commit_with_its_version() -> None:
    uses = [(name, step["uses"]) for name, _, step in _all_steps() if "uses" in step]
    assert uses, "no actions found"
    for name, ref in uses:
        assert SHA_PIN.fullmatch(ref), f"{name}: {ref} is not pinned to a 40-hex commit"
    for path in [*WORKFLOWS.values(), ACTION]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(-\s+)?uses:", line):
                assert PIN_COMMENT.search(line), f"{path.name}: no `# vX.Y.Z` comment: {line}"


def test_run_scripts_never_interpolate_expressions() -> None:
    """Values reach scripts through `env:` only, so nothing is spliced into shell code."""
    for name, job_id, step in _all_steps():
        script = step.get("run")
        if script is None:
            continue
        assert "${{" not in script, f"{name} {job_id}: expression inside run: {script!r}"
        for forbidden in ("github.event", "github.head_ref", "inputs."):
            assert forbidden not in script, f"{name} {job_id}: {forbidden} in run"


def test_credentials_are_never_persisted_by_checkout() -> None:
    checkouts = [(n, job, w) for n in WORKFLOW_NAMES for job, w in _checkouts(n)]
    # review has no checkout, check has three (pull request, its report, merge queue).
    assert sorted(name for name, _, _ in checkouts) == [
        "apply",
        "audit",
        "check",
        "check",
        "check",
        "ci",
        "drift",
        "lifecycle",
        "pages",
    ]
    for name, job_id, with_ in checkouts:
        assert with_.get("persist-credentials") is False, f"{name}.yml {job_id}"


def test_gating_workflows_check_out_only_trusted_commits() -> None:
    assert _with_trigger(PRIVILEGED_TRIGGERS) == ["check"]
    # The merge queue also runs ci (the project's tests, on the group's code) with a read-only
    # token; only check holds write permissions there, and it checks out the queue's base.
    assert _with_trigger({"merge_group"}) == ["check", "ci"]
    assert _load(WORKFLOWS["ci"])["jobs"]["test"]["permissions"] == {"contents": "read"}
    refs = {job_id: with_.get("ref") for job_id, with_ in _checkouts("check")}
    assert refs == {
        "pull-request": "${{ github.sha }}",  # main's tip: the base under pull_request_target
        "report": "${{ github.sha }}",
        "merge-queue": "${{ github.event.merge_group.base_sha }}",
    }
    for job_id, with_ in _checkouts("check"):
        assert "repository" not in with_, f"{job_id}: checks out another repository"
        text = json.dumps(with_)
        for untrusted in ("head", "refs/pull", "merge_group.head", "workflow_run"):
            assert untrusted not in text, f"{job_id}: checkout references {untrusted}"


def test_gating_workflows_never_run_or_cache_anything_from_the_head() -> None:
    for name in _with_trigger(PRIVILEGED_TRIGGERS):
        for job_id, step in _steps(name):
            uses = str(step.get("uses", ""))
            assert not uses.startswith("./"), f"{job_id}: local action"
            assert not uses.startswith("actions/cache"), f"{job_id}: cache"
            assert "cache" not in (step.get("with") or {}), f"{job_id}: {uses} with cache"
            script = step.get("run") or ""
            for verb in ("checkout", "switch", "worktree", "merge", "reset", "restore", "am"):
                assert f"git {verb}" not in script, f"{job_id}: git {verb} of the head"
            if "pip install" in script:
                assert script.strip().endswith("pip install --quiet '.[all]'"), script


def test_the_head_is_fetched_as_objects_with_the_number_from_env() -> None:
    fetches = [
        (job_id, step) for job_id, step in _steps("check") if "git fetch" in (step.get("run") or "")
    ]
    assert [job_id for job_id, _ in fetches] == ["pull-request", "report", "merge-queue"]
    numbers = {"${{ steps.pr.outputs.number }}", "${{ needs.pull-request.outputs.number }}"}
    for _, pull_fetch in fetches[:2]:
        assert '"+refs/pull/${PR_NUMBER}/head:' in pull_fetch["run"]
        assert pull_fetch["env"]["PR_NUMBER"] in numbers
    for _, step in fetches:
        assert "--no-tags" in step["run"]


def _check_commands(job: str) -> list[dict[str, Any]]:
    return [
        step
        for job_id, step in _steps("check")
        if job_id == job and "gfops check" in (step.get("run") or "")
    ]


def test_the_gate_posts_the_status_and_the_report_job_the_comment() -> None:
    (gate,) = _check_commands("pull-request")
    (queue,) = _check_commands("merge-queue")
    comment, sarif = _check_commands("report")
    for step in (gate, queue, comment, sarif):
        assert '--base "$BASE_SHA"' in step["run"] and '--head "$HEAD_SHA"' in step["run"]
    for step in (gate, queue):  # the required status, from the jobs that hold statuses: write
        assert "--format github" in step["run"] and "--status" in step["run"]
        assert "--comment" not in step["run"]
    assert "--comment" in comment["run"] and "--status" not in comment["run"]
    assert "--status" not in sarif["run"] and "--comment" not in sarif["run"]
    assert gate["env"]["BASE_SHA"] == comment["env"]["BASE_SHA"] == "${{ github.sha }}"
    assert comment["env"]["HEAD_SHA"] == "${{ needs.pull-request.outputs.head_sha }}"
    assert queue["env"]["BASE_SHA"] == "${{ github.event.merge_group.base_sha }}"
    assert queue["env"]["HEAD_SHA"] == "${{ github.event.merge_group.head_sha }}"
    report = _load(WORKFLOWS["check"])["jobs"]["report"]
    assert report["needs"] == "pull-request"
    # The report job reports the gate's verdict (0 allowed, 1 blocked), never a crash's.
    assert "needs.pull-request.outputs.code == '0'" in report["if"]


def test_the_sarif_upload_is_opt_in_and_names_the_pull_requests_head() -> None:
    steps = {step.get("name"): step for job_id, step in _steps("check") if job_id == "report"}
    sarif, upload = steps["Findings as SARIF"], steps["Upload the SARIF to code scanning"]
    for step in (sarif, upload):
        assert "vars.GALFRIDAY_CODE_SCANNING == 'true'" in step["if"]
    assert "--format sarif" in sarif["run"] and "--comment" not in sarif["run"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["ref"] == "refs/pull/${{ needs.pull-request.outputs.number }}/head"
    assert upload["with"]["sha"] == "${{ needs.pull-request.outputs.head_sha }}"


def test_the_check_triggers_and_their_filters() -> None:
    on = _triggers(_load(WORKFLOWS["check"]))
    assert set(on) == GATE_TRIGGERS
    assert on["pull_request_target"]["branches"] == ["main"]
    assert on["merge_group"]["branches"] == ["main"]
    review = _load(WORKFLOWS["review"])
    assert on["workflow_run"] == {"workflows": [review["name"]], "types": ["completed"]}


def test_the_review_workflow_has_no_power_and_runs_no_code() -> None:
    review = _load(WORKFLOWS["review"])
    assert _triggers(review) == {"pull_request_review": {"types": ["submitted", "dismissed"]}}
    assert review["permissions"] == {}
    for job in review["jobs"].values():
        assert job["permissions"] == {}
        for step in job["steps"]:
            assert set(step) <= {"name", "run"}, step
            assert step["run"].startswith("echo "), step["run"]
            assert "$" not in step["run"]


def _step_named(name: str, job: str, title: str) -> dict[str, Any]:
    (step,) = [s for j, s in _steps(name) if j == job and s.get("name") == title]
    return step


@pytest.mark.parametrize("name", ["apply", "audit"])
def test_apply_and_the_scheduled_audit_record_with_the_bot_and_verify(name: str) -> None:
    """Both run apply (from the newest recorded commit: a cancelled run is harmless) and
    audit verify in one concurrency group; tags go out with the bot token, whose pushes
    start workflows; a red run tells someone."""
    workflow = _load(WORKFLOWS[name])
    assert workflow["concurrency"] == {"group": "apply", "cancel-in-progress": False}
    job = workflow["jobs"][name]
    assert job["environment"] == "galfriday-bot" and job["permissions"] == {"contents": "read"}
    step = _step_named(name, name, "Apply" if name == "apply" else "Apply what is not yet recorded")
    command = step["run"].strip().splitlines()[-1]
    expected = {
        "apply": 'gfops apply --before "$BEFORE_SHA" --after "$GITHUB_SHA" --push',
        "audit": 'gfops apply --after "$GITHUB_SHA" --push',
    }
    assert command == expected[name]
    assert step["env"]["GITHUB_TOKEN"] == step["env"]["GFOPS_GIT_TOKEN"] == BOT
    assert step["env"]["SIGNING_KEY"] == "${{ secrets.GALFRIDAY_SIGNING_KEY }}"
    assert "umask 077" in step["run"]  # the key file is private to the runner's user
    verify = _step_named(name, name, "Verify main's whole history")
    assert verify["run"] == 'gfops audit verify --rev "$GITHUB_SHA" --summary --issue'
    assert verify["env"]["GITHUB_TOKEN"] == BOT and "!cancelled()" in verify["if"]
    alert = _step_named(name, name, "Tell someone the run failed")
    assert (alert["if"], alert["run"], alert["env"]["GITHUB_TOKEN"]) == (
        "failure()", f"gfops alert {name}", BOT,
    )  # fmt: skip
    assert _triggers(_load(WORKFLOWS["apply"])) == {"push": {"branches": ["main"]}}
    assert set(_triggers(_load(WORKFLOWS["audit"]))) == {"schedule", "workflow_dispatch"}


def test_the_keep_alive_job_re_enables_each_scheduled_workflow() -> None:
    scheduled = {n for n in WORKFLOW_NAMES if "schedule" in _triggers(_load(WORKFLOWS[n]))}
    (step,) = [s for j, s in _steps("audit") if j == "keep-alive"]
    script = step["run"]
    listed = set(re.search(r"for workflow in ([^;]+);", script)[1].split())  # type: ignore[index]
    assert listed == {f"{n}.yml" for n in scheduled} == {"audit.yml", "drift.yml", "lifecycle.yml"}
    assert "actions/workflows/${workflow}/enable" in script and "-X PUT" in script


def test_every_scheduled_workflow_is_watched_by_another_for_missed_runs() -> None:
    """A run that never happened cannot say so: each scheduled workflow's last success is
    checked by a different scheduled workflow, with the bot token, even when that one's own
    work failed (``!cancelled()``)."""
    scheduled = {n for n in WORKFLOW_NAMES if "schedule" in _triggers(_load(WORKFLOWS[n]))}
    watched: dict[str, str] = {}
    for name in sorted(scheduled):
        for _, step in _steps(name):
            for job, file in re.findall(r"gfops alert (\S+) --missed (\S+)", step.get("run") or ""):
                assert file == f"{job}.yml" and file != f"{name}.yml", (name, file)
                assert step["env"]["GITHUB_TOKEN"] == BOT and step["if"] == "${{ !cancelled() }}"
                watched[job] = name
    assert watched == {"drift": "audit", "lifecycle": "audit", "audit": "drift"}
    assert set(watched) == scheduled


@pytest.mark.parametrize(
    ("name", "command"), [("drift", "drift --all"), ("lifecycle", "lifecycle")]
)
def test_scheduled_jobs_act_through_the_bot_token_in_a_protected_environment(
    name: str, command: str
) -> None:
    workflow = _load(WORKFLOWS[name])
    assert set(_triggers(workflow)) == {"schedule", "workflow_dispatch"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert job["environment"] == "galfriday-bot"
    (step,) = [s for _, s in _steps(name) if f"gfops {command} --act" in (s.get("run") or "")]
    assert step["env"]["GITHUB_TOKEN"] == BOT
    # Exit 1 (found and acted on) is the job's work done; only 2 (could not run) fails it.
    assert 'if [ "$code" -gt 1 ]; then exit "$code"; fi' in step["run"]
    alert = _step_named(name, name, "Tell someone the run failed")
    assert (alert["if"], alert["run"], alert["env"]["GITHUB_TOKEN"]) == (
        "failure()", f"gfops alert {name}", BOT,
    )  # fmt: skip


def test_pages_builds_with_a_read_only_token_and_only_deploy_may_write() -> None:
    pages = _load(WORKFLOWS["pages"])
    assert _triggers(pages) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert pages["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    runs = [s["run"] for _, s in _steps("pages") if "run" in s]
    assert runs == [
        "python -m pip install --quiet '.[all]'",
        "gfops site --out _site --rev HEAD",
    ]
    (upload,) = [s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload["with"] == {"path": "_site"}
    # The job that can write to Pages runs no code of its own: two pinned actions.
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == [
        "actions/configure-pages",
        "actions/deploy-pages",
    ]
    for _, step in _steps("pages"):
        assert "cache" not in (step.get("with") or {})


def test_ci_runs_make_test_on_pull_requests_with_a_read_only_token() -> None:
    ci = _load(WORKFLOWS["ci"])
    assert {"pull_request", "push"} <= set(_triggers(ci))
    assert "pull_request_target" not in _triggers(ci)
    assert [s["run"] for _, s in _steps("ci") if "run" in s] == ["make test"]


def test_the_action_installs_its_own_pinned_files_and_passes_inputs_through_env() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "command",
        "args",
        "python-version",
        "toolkit-ref",
        "toolkit-repository",
    }
    assert action["inputs"]["toolkit-ref"]["default"] == ""
    install, run = [s for s in action["runs"]["steps"] if "run" in s]
    assert 'source="${GITHUB_ACTION_PATH}${extras}"' in install["run"]
    # validate (the pre-commit-like step) installs the core; every other command all extras
    assert 'if [ "$GFOPS_COMMAND" = "validate" ]; then extras=""; fi' in install["run"]
    assert run["env"] == {
        "GFOPS_COMMAND": "${{ inputs.command }}",
        "GFOPS_ARGS": "${{ inputs.args }}",
    }
    for step in action["runs"]["steps"]:
        assert "cache" not in (step.get("with") or {})


def test_the_pre_commit_hook_validates_registry_yaml() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "gfops-validate"
    assert (hook["entry"], hook["language"], hook["pass_filenames"]) == (
        "gfops validate",
        "python",
        True,
    )
    files = re.compile(hook["files"])
    for path in ("models/price-direction/1.2.0.yaml", "policies/teams.yaml", "experiments/a.yml"):
        assert files.search(path), path
    for path in ("README.md", "schemas/model.schema.json", "docs/models/x.yaml", "models/x.json"):
        assert not files.search(path), path


# ------------------------------------------------- least privilege: permissions from steps

GITHUB_TOKEN = "${{ github.token }}"
Scopes = dict[str, str]


def _needs(step: dict[str, Any]) -> Scopes:
    """What one step needs of the job's GITHUB_TOKEN (steps acting with the bot's token need
    nothing of it): the few actions and commands the workflows use, each by what it calls."""
    uses = str(step.get("uses", "")).split("@")[0]
    by_action: dict[str, Scopes] = {
        "actions/checkout": {"contents": "read"},
        "github/codeql-action/upload-sarif": {"security-events": "write", "actions": "read"},
        "actions/configure-pages": {"pages": "write"},
        "actions/deploy-pages": {"pages": "write", "id-token": "write"},
    }
    if uses:
        return by_action.get(uses, {})
    env = step.get("env") or {}
    script = step.get("run") or ""
    need: Scopes = {}
    if GITHUB_TOKEN in (env.get("GITHUB_TOKEN"), env.get("GH_TOKEN")):
        if "gfops check" in script:
            need["pull-requests"] = "write" if "--comment" in script else "read"
            if "--status" in script:
                need["statuses"] = "write"
        if "/statuses/" in script:
            need["statuses"] = "write"
        if re.search(r"gh api [^|]*/pulls", script):
            need["pull-requests"] = "read"
        if "/actions/workflows/" in script and "-X PUT" in script:
            need["actions"] = "write"
    if env.get("GFOPS_GIT_TOKEN") == GITHUB_TOKEN and "git fetch" in script:
        need["contents"] = "read"
    return need


def _required(job: dict[str, Any]) -> Scopes:
    required: Scopes = {}
    for step in job.get("steps", []):
        for scope, level in _needs(step).items():
            if required.get(scope) != "write":
                required[scope] = level
    return required


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_each_job_holds_exactly_the_permissions_its_steps_use(name: str) -> None:
    for job_id, job in _load(WORKFLOWS[name])["jobs"].items():
        assert job["permissions"] == _required(job), f"{name}.yml job {job_id}"


def test_the_permission_check_sees_a_permission_too_many_and_one_missing() -> None:
    # Positive control: the gate's job as it was (it also commented) needs pull-requests:
    # write; a job holding more than its steps use is told apart from one holding less.
    job = {
        "steps": [{"run": "gfops check --comment --status", "env": {"GITHUB_TOKEN": GITHUB_TOKEN}}]
    }
    assert _required(job) == {"pull-requests": "write", "statuses": "write"}
    bot = {"steps": [{"run": "gfops apply --push", "env": {"GITHUB_TOKEN": BOT}}]}
    assert _required(bot) == {}


# ------------------------------------------------- CODEOWNERS, Dependabot, the deploy example


def test_code_owners_guard_the_gate_the_toolkit_and_the_policies() -> None:
    lines = [
        line.split()
        for line in CODEOWNERS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    owners = {parts[0]: parts[1:] for parts in lines}
    for path in ("/.github/", "/galfriday_gitops/", "/policies/", "/experiments/"):
        assert owners.get(path), f"CODEOWNERS does not cover {path}"
    for path, who in owners.items():
        assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", w) for w in who), (path, who)


def test_dependabot_config_is_valid_and_updates_actions_and_python_with_a_cooldown() -> None:
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot",
                  str(DEPENDABOT))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    updates = _load(DEPENDABOT)["updates"]
    assert {u["package-ecosystem"] for u in updates} == {"github-actions", "pip"}
    assert all(u["cooldown"]["default-days"] >= 7 for u in updates)
    assert _zizmor(DEPENDABOT) == []


def test_zizmor_audits_dependabot_configs(tmp_path: Path) -> None:
    """A canary: without a cooldown the same invocation flags the config."""
    bare = tmp_path / ".github" / "dependabot.yml"
    bare.parent.mkdir(parents=True)
    bare.write_text(
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
        "    schedule:\n      interval: weekly\n",
        encoding="utf-8",
    )
    assert "dependabot-cooldown" in {f["ident"] for f in _zizmor(bare)}


def _github_glob(pattern: str) -> re.Pattern[str]:
    """A GitHub filter pattern as a regex: ``*`` is anything but ``/``, ``**`` anything."""
    out = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    return re.compile(f"^{out}$")


def test_the_deploy_example_fires_on_production_assignments_only() -> None:
    from galfriday_gitops.apply import tags

    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                  str(DEPLOY_EXAMPLE))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert _zizmor(DEPLOY_EXAMPLE) == []
    deploy = _load(DEPLOY_EXAMPLE)
    (pattern,) = _triggers(deploy)["push"]["tags"]
    fires = _github_glob(pattern)
    # The names apply writes: a production assignment fires it; nothing else does.
    assert fires.match(str(tags.assignment("price-direction", "production", 8)))
    for quiet in (
        tags.unassignment("price-direction", "production", 9),
        tags.assignment("price-direction", "staging", 10),
        tags.registration("price-direction", "1.2.0"),
        tags.commit_record("0" * 40),
    ):
        assert not fires.match(str(quiet)), quiet
    # It fires because apply pushes with the bot token (a GITHUB_TOKEN push starts nothing).
    apply_step = _step_named("apply", "apply", "Apply")
    assert apply_step["env"]["GFOPS_GIT_TOKEN"] == BOT and "--push" in apply_step["run"]
    # ...and at most three tags per push (GitHub creates no tag event for more): the default,
    # tests/apply/test_apply_e2e.py::test_push_sends_at_most_three_tags_per_push_so_deploys_fire
    assert "--push-batch" not in apply_step["run"]
    (job,) = deploy["jobs"].values()
    assert job["permissions"] == _required(job) == {"contents": "read"}
    checks = [s["run"] for s in job["steps"] if "verify" in (s.get("run") or "")]
    assert checks and "verify-tag" in checks[0] and "gfops audit verify" in checks[0]
