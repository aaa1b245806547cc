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
WORKFLOW_NAMES = ["apply", "check", "ci", "drift", "lifecycle", "pages", "review"]
WORKFLOWS = {name: WORKFLOWS_DIR / f"{name}.yml" for name in WORKFLOW_NAMES}
# Triggers that run with a write token and secrets while a pull request's content is at hand.
PRIVILEGED_TRIGGERS = {"pull_request_target", "workflow_run"}
GATE_TRIGGERS = {*PRIVILEGED_TRIGGERS, "merge_group"}
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
PIN_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v\d+\.\d+\.\d+\s*$")
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
# Every write permission any GITHUB_TOKEN gets, and why (docs/trust.md, "Permissions").
EXPECTED_WRITES = {
    # security-events: the opt-in SARIF upload to code scanning (docs/github-setup.md 6b)
    ("check", "pull-request"): {"pull-requests", "statuses", "security-events"},
    ("check", "merge-queue"): {"statuses"},
    ("apply", "apply"): {"contents"},
    ("pages", "deploy"): {"pages", "id-token"},
}


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
    # review has no checkout, check has two (pull request, merge queue).
    assert sorted(name for name, _, _ in checkouts) == [
        "apply",
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
                assert script.strip().endswith("pip install --quiet ."), script


def test_the_head_is_fetched_as_objects_with_the_number_from_env() -> None:
    fetches = [
        (job_id, step) for job_id, step in _steps("check") if "git fetch" in (step.get("run") or "")
    ]
    assert [job_id for job_id, _ in fetches] == ["pull-request", "merge-queue"]
    pull_fetch = fetches[0][1]
    assert '"+refs/pull/${PR_NUMBER}/head:' in pull_fetch["run"]
    assert pull_fetch["env"]["PR_NUMBER"] == "${{ steps.pr.outputs.number }}"
    for _, step in fetches:
        assert "--no-tags" in step["run"]


def test_the_check_runs_gfops_with_base_and_head_and_posts_the_status() -> None:
    commands = [
        (job_id, step)
        for job_id, step in _steps("check")
        if "gfops check" in (step.get("run") or "") and "--format sarif" not in step["run"]
    ]
    assert [job_id for job_id, _ in commands] == ["pull-request", "merge-queue"]
    for job_id, step in commands:
        script = step["run"]
        for flag in ('--base "$BASE_SHA"', '--head "$HEAD_SHA"', "--format github", "--status"):
            assert flag in script, f"{job_id}: {flag} missing"
    (_, pr_step), (_, queue_step) = commands
    assert "--comment" in pr_step["run"]
    assert pr_step["env"]["BASE_SHA"] == "${{ github.sha }}"
    assert queue_step["env"]["BASE_SHA"] == "${{ github.event.merge_group.base_sha }}"
    assert queue_step["env"]["HEAD_SHA"] == "${{ github.event.merge_group.head_sha }}"


def test_the_sarif_upload_is_opt_in_and_names_the_pull_requests_head() -> None:
    steps = {step.get("name"): step for job_id, step in _steps("check") if job_id == "pull-request"}
    sarif, upload = steps["Findings as SARIF"], steps["Upload the SARIF to code scanning"]
    for step in (sarif, upload):
        assert "vars.GALFRIDAY_CODE_SCANNING == 'true'" in step["if"]
    assert "--format sarif" in sarif["run"] and "--comment" not in sarif["run"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["ref"] == "refs/pull/${{ steps.pr.outputs.number }}/head"
    assert upload["with"]["sha"] == "${{ steps.pr.outputs.head_sha }}"


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


def test_apply_runs_on_main_one_push_at_a_time_and_never_cancelled() -> None:
    apply = _load(WORKFLOWS["apply"])
    assert _triggers(apply) == {"push": {"branches": ["main"]}}
    assert apply["concurrency"] == {"group": "apply", "cancel-in-progress": False}
    (step,) = [s for _, s in _steps("apply") if "gfops apply" in (s.get("run") or "")]
    assert step["run"] == 'gfops apply --before "$BEFORE_SHA" --after "$AFTER_SHA" --push'


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
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.GALFRIDAY_BOT_TOKEN }}"


def test_pages_builds_with_a_read_only_token_and_only_deploy_may_write() -> None:
    pages = _load(WORKFLOWS["pages"])
    assert _triggers(pages) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert pages["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    runs = [s["run"] for _, s in _steps("pages") if "run" in s]
    assert runs == ["python -m pip install --quiet .", "gfops site --out _site --rev HEAD"]
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
    assert 'source="$GITHUB_ACTION_PATH"' in install["run"]
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
