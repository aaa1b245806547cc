"""The demo signing key for tests: audit tags signed and verified for real."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.repo import ROOT

DEMO_KEY = ROOT / "galfriday_gitops" / "demo" / "signing" / "demo_signing_key"


def sign_as_demo(repo: Path) -> Path:
    """Make ``repo`` SSH-sign its tags with the demo key (the example registry's
    ``policies/allowed_signers`` trusts it). ssh-keygen refuses a key others may read, and
    git checks files out world-readable: the key is copied into ``.git`` with mode 0600."""
    key = repo / ".git" / "demo_signing_key"
    shutil.copyfile(DEMO_KEY, key)
    key.chmod(0o600)
    for name, value in (("gpg.format", "ssh"), ("user.signingkey", str(key))):
        subprocess.run(["git", "-C", str(repo), "config", name, value], check=True)
    return key


def keypair(tmp: Path, name: str) -> tuple[Path, str]:
    """A fresh ed25519 key (no passphrase): its path and its public line."""
    key = tmp / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True)  # fmt: skip
    return key, key.with_suffix(".pub").read_text().strip()
