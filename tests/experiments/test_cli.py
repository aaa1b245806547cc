"""``gfops experiment analyze`` end to end: the real CLI on a real git repository.

The numbers printed by the CLI must be exactly those of ``analyze_frame`` called directly
with the settings the Experiment YAML declares (spelled out here by hand, so a wrong
mapping in ``experiments/spec.py`` fails the test).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from galfriday_gitops.stats.experiment import MetricSpec, analyze_frame
from tests.support.cli import Result, gfops
from tests.support.repo import Repo

NAME = "checkout-ab"
DATA = f"data/experiments/{NAME}/outcomes.parquet"

# Comments, flow mappings and odd spacing on purpose: `conclude` must keep all of it.
EXPERIMENT_YAML = f"""\
# yaml-language-server: $schema=../schemas/experiment.schema.json
# Checkout A/B test. The result block is written by `gfops experiment conclude`.
apiVersion: galfriday/v1
kind: Experiment
metadata:
  name: {NAME}
  description: does 1.2.0 make more money than 1.1.0?
spec:
  model: price-direction
  control: 1.1.0
  treatment: 1.2.0   # the candidate
  allocation: {{strategy: weighted, split: {{control: 0.5, treatment: 0.5}}}}
  unit: account_id
  metrics:
    primary: {{name: pnl_bps, kind: mean, direction: higher}}
    secondary:
      - {{name: error, kind: proportion, direction: lower}}
    guardrails:
      - {{name: latency_ms, kind: mean, direction: lower, maxLoss: 0.05}}   # 5 % slower at most
  design: {{alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.02, minSamplesPerVariant: 1000}}
  window: {{start: 2026-11-02, end: 2026-11-16}}
  data: {DATA}
  status: running          # planned | running | concluded | stopped
  # nothing below the status line but this comment
"""

# What EXPERIMENT_YAML declares, as analyze_frame arguments.
DECLARED: dict[str, Any] = {
    "variant_column": "variant",
    "control": "control",
    "treatment": "treatment",
    "metrics": [
        MetricSpec("pnl_bps", "mean", "higher", role="primary"),
        MetricSpec("error", "proportion", "lower", role="secondary"),
        MetricSpec("latency_ms", "mean", "lower", role="guardrail", max_loss=0.05),
    ],
    "split": {"control": 0.5, "treatment": 0.5},
    "alpha": 0.05,
    "power": 0.8,
    "mde": 0.02,
    "min_samples": 1000,
    "correction": "holm",
}


def outcomes(
    n_control: int = 4000, n_treatment: int = 4000, *, lift: float = 0.05, seed: int = 7
) -> pd.DataFrame:
    """One row per account: pnl (treatment mean x (1 + lift)), latency, error flag."""
    rng = np.random.default_rng(seed)
    variant = np.array(["control"] * n_control + ["treatment"] * n_treatment, dtype=object)
    rng.shuffle(variant)
    is_t = variant == "treatment"
    n = len(variant)
    return pd.DataFrame(
        {
            "account_id": [f"acct-{i:06d}" for i in range(n)],
            "variant": variant,
            "pnl_bps": 12.0 * np.where(is_t, 1.0 + lift, 1.0) + 4.0 * rng.standard_normal(n),
            "pre_pnl_bps": 12.0 + 4.0 * rng.standard_normal(n),
            "latency_ms": 12.0 * np.exp(0.25 * rng.standard_normal(n)),
            "error": (rng.random(n) < 0.02).astype(np.int64),
        }
    )


def add_experiment(repo: Repo, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Commit EXPERIMENT_YAML on main and write its (untracked, ignored) outcome data."""
    repo.write(".gitignore", "/data/\n")
    repo.write(f"experiments/{NAME}.yaml", EXPERIMENT_YAML)
    repo.commit("experiment")
    frame = outcomes() if frame is None else frame
    target = repo.path / DATA
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(target, index=False)
    return frame


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """The same CLI entry point without a new interpreter (no 1-2 s scipy import per call).

    The subprocess runs above prove the real process; this keeps the suite fast.
    """
    from galfriday_gitops.cli.main import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def as_json(data: Any) -> Any:
    """What the CLI's JSON printer makes of a value (floats survive the round trip)."""
    return json.loads(json.dumps(data, default=str))


def test_resource_json_equals_analyze_frame(repo: Repo) -> None:
    frame = add_experiment(repo)
    res = gfops(
        "experiment", "analyze", f"experiments/{NAME}.yaml", "--format", "json", cwd=repo.path
    )
    assert res.code == 0, res.err
    got = json.loads(res.out)
    expected = analyze_frame(frame, **DECLARED)
    assert got == as_json(expected.to_dict())
    # The documented minimum shape, and the planted effect.
    pnl = got["metrics"]["pnl_bps"]
    for arm in ("control", "treatment"):
        assert set(pnl[arm]) >= {"n", "mean"}
        assert pnl[arm]["n"] == 4000
    assert set(pnl["absolute"]) >= {"estimate", "ci", "p_value"}
    assert len(pnl["relative"]["ci"]) == 2
    assert 0.03 < pnl["relative"]["estimate"] < 0.07
    assert pnl["chance_to_win"] > 0.99
    assert got["srm"]["flagged"] is False
    assert got["decision"] == "treatment wins"


def test_resource_by_name_markdown(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    add_experiment(repo)
    md = in_process(
        capsys, "-C", str(repo.path), "experiment", "analyze", NAME, "--format", "markdown"
    )
    assert md.code == 0, md.err
    assert md.out.startswith("### Experiment")
    assert "**Decision:** treatment wins" in md.out
    assert "| `pnl_bps` | primary |" in md.out
    assert "| `latency_ms` |" in md.out


# gzip CSV through a real process, the other two in-process.
@pytest.mark.parametrize(
    ("suffix", "subprocess"), [("csv", False), ("csv.gz", True), ("parquet", False)]
)
def test_ad_hoc_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, subprocess: bool
) -> None:
    frame = outcomes(3000, 3000, lift=0.05, seed=11)
    # Arbitrary labels: "control"/"treatment" in --split are roles, mapped onto A and B.
    frame["arm"] = frame.pop("variant").map({"control": "A", "treatment": "B"})
    path = tmp_path / f"outcomes.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)  # pandas gzips by the .gz suffix
    args = (
        "experiment", "analyze", "--data", str(path), "--variant-column", "arm",
        "--control", "A", "--metric", "pnl_bps:mean", "--metric", "error:proportion:lower",
        "--split", "control=0.5,treatment=0.5", "--format", "json",
    )  # fmt: skip
    res = gfops(*args, cwd=tmp_path) if subprocess else in_process(capsys, *args)
    assert res.code == 0, res.err
    got = json.loads(res.out)
    expected = analyze_frame(
        pd.read_parquet(path) if suffix == "parquet" else pd.read_csv(path),
        variant_column="arm",
        control="A",
        treatment="B",
        metrics=[
            MetricSpec("pnl_bps", "mean", "higher", role="primary"),
            MetricSpec("error", "proportion", "lower", role="secondary"),
        ],
        split={"A": 0.5, "B": 0.5},
    )
    assert got == as_json(expected.to_dict())
    assert got["treatment"] == "B"
    assert got["winner"] == "treatment"


def test_ad_hoc_cuped_sequential_and_guardrail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = outcomes(2000, 2000, lift=0.05, seed=3)
    frame["pre"] = frame["pnl_bps"] - 12.0 * (frame["variant"] == "treatment") * 0.05 + 0.5
    path = tmp_path / "o.parquet"
    frame.to_parquet(path, index=False)
    res = in_process(
        capsys,
        "experiment", "analyze", "--data", str(path), "--variant-column", "variant",
        "--control", "control", "--treatment", "treatment", "--metric", "pnl_bps:mean:higher",
        "--covariate", "pnl_bps=pre", "--guardrail", "latency_ms:mean:lower:0.05",
        "--mde", "0.02", "--sequential", "--alpha", "0.1", "--format", "json",
    )  # fmt: skip
    assert res.code == 0, res.err
    got = json.loads(res.out)
    expected = analyze_frame(
        frame,
        variant_column="variant",
        control="control",
        treatment="treatment",
        metrics=[
            MetricSpec("pnl_bps", "mean", "higher"),
            MetricSpec("latency_ms", "mean", "lower", role="guardrail", max_loss=0.05),
        ],
        covariates={"pnl_bps": "pre"},
        alpha=0.1,
        mde=0.02,
        sequential=True,
    )
    assert got == as_json(expected.to_dict())
    # The covariate is the outcome minus the effect: CUPED removes nearly all variance.
    assert got["metrics"]["pnl_bps"]["cuped"]["variance_reduction"] > 0.9
    assert got["design"]["sequential"] is True
    assert got["guardrails"][0]["passed"] is True


def _ad_hoc_args(path: Path, *args: str) -> list[str]:
    base = ["experiment", "analyze", "--data", str(path), "--variant-column", "variant"]
    return [*base, *([] if "--control" in args else ["--control", "control"]), *args]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "pnl_bps:median"], "unknown kind 'median'"),
        (["--metric", "pnl_bps:mean:sideways"], "unknown direction 'sideways'"),
        (
            ["--metric", "pnl_bps:mean", "--split", "control=half"],
            "split.control: Input should be a valid number",
        ),
        (["--metric", "pnl_bps:mean", "--covariate", "nope=pre"], "no metric 'nope'"),
        (["--metric", "pnl_bps:mean", "--sequential"], "sequential analysis needs mde"),
        (["--metric", "no_such_column:mean"], "missing column(s) 'no_such_column'"),
        (["--metric", "pnl_bps:mean", "--control", "X"], "control 'X' not found"),
        (["--metric", "account_id:mean"], "is not numeric"),
        (["--metric", "latency_ms:proportion"], "values other than 0/1"),
        (["--metric", "pnl_bps:mean", "--alpha", "0.7"], "alpha: Input should be less than 0.5"),
        (["--metric", "pnl_bps:mean", "--mde", "nan"], "mde: Input should be a finite number"),
        (["--metric", "pnl_bps:mean", "--min-samples", "-1"], "min_samples: Input should be"),
        (["--metric", "a:mean", "--metric", "a:mean"], "metric(s) given twice: a"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path = tmp_path / "o.csv"
    outcomes(50, 50).to_csv(path, index=False)
    res = in_process(capsys, *_ad_hoc_args(path, *args))
    assert res.code == 2
    assert message in res.err
    assert res.err.startswith("gfops: error: ")
    assert len(res.err.strip().splitlines()) == 1, res.err


def test_bad_metric_syntax_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    outcomes(50, 50).to_csv(path, index=False)
    res = gfops(*_ad_hoc_args(path, "--metric", "pnl_bps"), cwd=tmp_path)
    assert res.code == 2
    assert res.err == (
        "gfops: error: --metric 'pnl_bps': expected NAME:mean|proportion[:higher|lower]\n"
    )


def test_resource_errors_exit_2(repo: Repo) -> None:
    add_experiment(repo)
    unknown = gfops("experiment", "analyze", "no-such-experiment", cwd=repo.path)
    assert unknown.code == 2
    assert "no such experiment file" in unknown.err
    mixed = gfops("experiment", "analyze", NAME, "--metric", "x:mean", cwd=repo.path)
    assert mixed.code == 2
    assert "--metric" in mixed.err
    (repo.path / DATA).unlink()
    missing = gfops("experiment", "analyze", NAME, cwd=repo.path)
    assert missing.code == 2
    assert f"{DATA}: no such file" in missing.err
    for res in (unknown, mixed, missing):
        assert len(res.err.strip().splitlines()) == 1, res.err
        assert "Traceback" not in res.err


# --- non-finite and huge inputs, strict JSON, names from the data -------------------------


def test_every_json_output_is_strict_json(
    repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.monitor.test_outputs import strict_json

    add_experiment(repo)
    resource = in_process(
        capsys, "-C", str(repo.path), "experiment", "analyze", NAME, "--format", "json"
    )
    assert resource.code == 0, resource.err
    doc = strict_json(resource.out)
    assert doc["metrics"]["pnl_bps"]["effect_size"]["cohen_d"] > 0
    # A metric whose lift is undefined (control mean 0) prints null with a reason, not NaN.
    frame = outcomes(500, 500).assign(zero=0.0)
    path = tmp_path / "zero.parquet"
    frame.to_parquet(path, index=False)
    res = in_process(capsys, *_ad_hoc_args(path, "--metric", "zero:mean", "--format", "json"))
    assert res.code == 0, res.err
    zero = strict_json(res.out)["metrics"]["zero"]
    assert zero["relative"]["estimate"] is None and zero["relative"]["p_value"] is None
    assert "not computable" in zero["relative"]["reason"]


def test_infinite_and_overflowing_values_are_refused_huge_ones_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.monitor.test_outputs import strict_json

    frame = outcomes(400, 400, seed=5)
    cases = {
        "inf": frame.assign(pnl_bps=frame.pnl_bps.where(frame.index != 3, np.inf)),
        "huge": frame.assign(pnl_bps=frame.pnl_bps * 1e78),
        "overflow": frame.assign(pnl_bps=np.where(frame.index % 2 == 0, 1e300, -1e300)),
        "plain": frame,
    }
    got = {}
    for name, data in cases.items():
        path = tmp_path / f"{name}.parquet"
        data.to_parquet(path, index=False)
        got[name] = in_process(
            capsys, *_ad_hoc_args(path, "--metric", "pnl_bps:mean", "--format", "json")
        )
    for name, message in (
        ("inf", "column 'pnl_bps' contains infinite values"),
        ("overflow", "column 'pnl_bps': its sum of squares overflows"),
    ):
        assert got[name].code == 2 and got[name].err.startswith("gfops: error: "), name
        assert message in got[name].err and len(got[name].err.strip().splitlines()) == 1
    # Before: means above ~1e77 crashed with OverflowError ("gfops: internal error").
    assert got["huge"].code == 0, got["huge"].err
    huge, plain = strict_json(got["huge"].out), strict_json(got["plain"].out)
    assert huge["decision"] == plain["decision"]
    for key in ("p_value", "estimate"):
        assert huge["metrics"]["pnl_bps"]["relative"][key] == pytest.approx(
            plain["metrics"]["pnl_bps"]["relative"][key], rel=1e-9
        )


def test_variant_labels_and_metric_names_from_the_data_stay_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from markdown_it import MarkdownIt

    evil = "B\n::error::pwned [l](http://e) <b>x</b>"
    frame = outcomes(500, 500, seed=2)
    frame["variant"] = frame["variant"].map({"control": "A", "treatment": evil})
    frame = frame.rename(columns={"pnl_bps": "pnl`|<i>"})
    path = tmp_path / "evil.parquet"
    frame.to_parquet(path, index=False)
    args = _ad_hoc_args(path, "--control", "A", "--metric", "pnl`|<i>:mean")
    text = in_process(capsys, *args)
    assert text.code == 0, text.err
    assert not [ln for ln in text.out.splitlines() if ln.lstrip().startswith("::")]
    assert repr(evil) in text.out
    md = in_process(capsys, *args, "--format", "markdown")
    tokens = MarkdownIt("commonmark").enable("table").parse(md.out)
    kinds = {t.type for t in tokens} | {c.type for t in tokens if t.children for c in t.children}
    assert not kinds & {"link_open", "html_inline", "html_block"}
    cells = [c.content for t in tokens if t.children for c in t.children if c.type == "code_inline"]
    assert "pnl`|<i>" in cells  # the metric name, whole, as code in its table cell
