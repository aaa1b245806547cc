"""`gfops show NAME[@STAGE|@VERSION]` and `gfops ls`: URIs, everything a manifest says, filters,
CSV a spreadsheet cannot run, and one model's folder read for a question about one model."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from galfriday_gitops import Registry
from galfriday_gitops.cli.main import main
from tests.support.blobs import count_blob_reads
from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.repo import Repo, fill_registry


@pytest.fixture
def many(empty_repo: Repo) -> Repo:
    fill_registry(empty_repo, 20)
    full = (
        manifest("m03", "2.0.0", "canary")
        .replace(
            "  framework: numpy\n",
            "  framework: numpy\n  hyperparameters: {l2: 0.5, depth: 6}\n"
            "  rollout: {trafficPercent: 12.5}\n  tags: ['=HYPERLINK(\"http://x\")', nightly]\n",
        )
        .replace(
            "    trainedAt: 2026-11-01T12:00:00Z\n",
            "    trainedAt: 2026-11-01T12:00:00Z\n"
            "    dataWindow: {start: 2026-01-01, end: 2026-06-30}\n",
        )
        .replace("labels: {team: quant}", "labels: {team: quant, asset: btc}")
    )
    empty_repo.write("models/m03/2.0.0.yaml", full)
    empty_repo.write("models/m03/1.2.0.yaml", manifest("m03", "1.2.0", "staging"))
    empty_repo.commit("a full manifest in canary")
    return empty_repo


@pytest.mark.parametrize(
    ("ref", "version"),
    [("m03@canary", "2.0.0"), ("m03@1.1.0", "1.1.0"), ("models:/m03@production", "1.1.0"),
     ("models:/m03/1.0.0", "1.0.0")],
)  # fmt: skip
def test_show_names_a_version_as_resolve_does(many: Repo, ref: str, version: str) -> None:
    result = gfops("show", ref, "--format", "json", cwd=many.path)
    assert result.code == 0, result.err
    expected = Registry(many.path, rev="HEAD").resolve(ref)
    assert expected.version == version
    assert json.loads(result.out) == expected.model_dump(mode="json", exclude_none=True)


def test_show_text_has_everything_a_reader_asks_for(many: Repo) -> None:
    out = gfops("show", "m03@canary", cwd=many.path).out
    for words in (
        "m03@2.0.0  stage: canary  (canary traffic 12.5%)  (models/m03/2.0.0.yaml)",
        "labels: team=quant, asset=btc",
        "hyperparameters: l2=0.5, depth=6",
        "data window: 2026-01-01 .. 2026-06-30",
        "trained at: 2026-11-01T12:00:00Z",
        "test: accuracy=0.9, latency_ms=12",
        'tags: =HYPERLINK("http://x"), nightly',
    ):
        assert words in out, (words, out)


@pytest.mark.parametrize(
    ("ref", "words"),
    [("m3@production", "no model 'm3'"), ("m03@prod", "did you mean 'production'"),
     ("m03@9.9.9", "no version 9.9.9"), ("m03@staging", "1.2.0 (staging)")],
)  # fmt: skip
def test_show_errors_name_the_problem(many: Repo, ref: str, words: str) -> None:
    result = gfops("show", ref, cwd=many.path)
    if ref == "m03@staging":  # the control: that one exists
        assert result.code == 0 and "m03@1.2.0  stage: staging" in result.out
        return
    assert result.code == 2 and words in result.err and "Traceback" not in result.err


def _blobs_read(monkeypatch: pytest.MonkeyPatch, repo: Path, *argv: str) -> int:
    read = count_blob_reads(monkeypatch)
    assert main(["-C", str(repo), *argv]) in (0, 1)
    return len(read)


def test_show_reads_only_that_models_folder(
    many: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _blobs_read(monkeypatch, many.path, "show", "m07@production") == 3
    assert _blobs_read(monkeypatch, many.path, "show", "m08") == 3
    assert _blobs_read(monkeypatch, many.path, "show", "m08@1.2.0", "--format", "json") == 0
    assert _blobs_read(monkeypatch, many.path, "status") == 61  # control: every manifest
    assert "m07@1.1.0  stage: production" in capsys.readouterr().out


def test_ls_filters_sorts_and_formats(many: Repo) -> None:
    argv = ["ls", "--stage", "production", "--label", "team=b", "--where", "test.accuracy>=0.8"]
    rows = json.loads(gfops(*argv, "--sort", "test.accuracy", "--desc", "--format", "json",
                            cwd=many.path).out)  # fmt: skip
    assert [(r["name"], r["version"]) for r in rows] == [
        ("m19", "1.1.0"),
        ("m17", "1.1.0"),
        ("m15", "1.1.0"),
        ("m13", "1.1.0"),
        ("m11", "1.1.0"),
        ("m09", "1.1.0"),
    ]
    text = gfops(*argv, "--sort", "test.accuracy", cwd=many.path).out.splitlines()
    assert text[0].split() == ["model", "version", "stage", "labels", "tags", "test.accuracy"]
    assert text[2].split()[:3] == ["m09", "1.1.0", "production"] and text[-1] == "6 version(s)"


def test_ls_csv_cannot_run_as_a_formula(many: Repo) -> None:
    result = gfops("ls", "m03", "--tag", "nightly", "--format", "csv", cwd=many.path)
    table = list(csv.DictReader(io.StringIO(result.out)))
    assert [(r["model"], r["version"]) for r in table] == [("m03", "2.0.0")]
    assert table[0]["tags"] == '\'=HYPERLINK("http://x");nightly'
    assert table[0]["test.accuracy"] == "0.9" and table[0]["labels"] == "team=quant;asset=btc"


@pytest.mark.parametrize(
    ("argv", "words"),
    [(["--where", "test.accuracy=>0.8"], "bad metric expression 'test.accuracy=>0.8'"),
     (["--stage", "prodution"], "did you mean 'production'"),
     (["--sort", "accuracy"], "bad sort key 'accuracy'"),
     (["--label", "team"], "expected KEY=VALUE")],
)  # fmt: skip
def test_ls_errors_name_the_bad_expression(many: Repo, argv: list[str], words: str) -> None:
    result = gfops("ls", *argv, cwd=many.path)
    assert result.code == 2 and words in result.err and "Traceback" not in result.err
