"""docs/new-registry.md holds: every option of ``gfops init`` is explained there and every
option it names exists; its links resolve; and its signing recipe (the git configuration it
gives the apply job) makes ``gfops apply`` write SSH-signed tags that ``audit verify`` accepts
in a registry made with ``--allowed-signers``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.cli import gfops
from tests.support.docs import DOCS, user_env
from tests.support.signing import keypair

GUIDE = DOCS / "new-registry.md"


def test_the_guide_explains_every_init_option_and_only_real_ones() -> None:
    help_text = gfops("init", "--help").out
    real = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    assert {"--team", "--remote", "--action", "--allowed-signers", "--existing"} <= real
    guide = GUIDE.read_text(encoding="utf-8")
    table = guide.split("| option |", 1)[1].split("\n\n", 1)[0]
    explained = set(re.findall(r"`(--[a-z][a-z-]+)", table))
    assert explained == real - {"--format"}, (explained, real)


def test_the_guides_relative_links_resolve() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", guide)
    assert {"github-setup.md", "trust.md", "offline-reviews.md", "retrain.md"} <= set(links)
    missing = [link for link in links if not (GUIDE.parent / link).resolve().is_file()]
    assert missing == []


def test_the_signing_recipe_signs_the_audit_tags(tmp_path: Path) -> None:
    env = user_env(tmp_path / "home")
    key, public = keypair(tmp_path, "apply")
    signers = tmp_path / "apply_signers"
    signers.write_text(f"apply@galfriday.invalid {public}\n")  # as the guide shows
    made = gfops("init", "reg", "--team", "ml-leads=alice,bob", "--allowed-signers",
                 str(signers), cwd=tmp_path, env=env)  # fmt: skip
    assert made.code == 0, made.err
    reg = tmp_path / "reg"
    (reg / "build").mkdir()
    (reg / "build" / "model.json").write_text('{"weights": [1.0]}\n')
    assert gfops("register", "build/model.json", "--name", "churn", "--version", "1.0.0",
                 cwd=reg, env=env).code == 0  # fmt: skip
    subprocess.run(["git", "add", "-A"], cwd=reg, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "Register churn"], cwd=reg, env=env, check=True)
    # the control: without the key, apply refuses rather than write tags that would not verify
    refused = gfops("apply", "--after", "main", "--no-reviews", cwd=reg, env=env)
    assert refused.code == 2 and "must be signed" in refused.err
    recipe = {  # the guide's three GIT_CONFIG entries (the credential helper is entry 0)
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "credential.helper",
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": "gpg.format",
        "GIT_CONFIG_VALUE_1": "ssh",
        "GIT_CONFIG_KEY_2": "user.signingkey",
        "GIT_CONFIG_VALUE_2": str(key),
    }
    applied = gfops("apply", "--after", "main", "--no-reviews", cwd=reg, env={**env, **recipe})
    assert applied.code == 0, applied.err
    tag = subprocess.run(["git", "cat-file", "-p", "refs/tags/churn@v1.0.0"], cwd=reg,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "-----BEGIN SSH SIGNATURE-----" in tag
    verified = gfops("audit", "verify", cwd=reg, env=env)
    assert verified.code == 0, verified.out + verified.err
