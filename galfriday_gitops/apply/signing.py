"""Signing the audit trail: whether ``apply`` signs, and the one key no registry may trust.

``apply`` signs every tag (``git tag -s``) when git is set up for SSH signing
(``gpg.format=ssh`` and ``user.signingkey``; the apply job writes the key from a
repository secret, docs/github-setup.md). ``audit verify`` checks signatures against the
allowed-signers file the policies name (``Teams.spec.automation.allowedSigners``).

This repository's example registry trusts a *demo* key, so that ``make demo`` and the
tests sign and verify for real. Its private half is published with the demo
(``galfriday_gitops/demo/signing/``): a signature by it proves nothing, and
``audit verify`` warns (GF313) wherever allowed signers list it.
"""

from __future__ import annotations

from pathlib import Path

from galfriday_gitops import gitio

# The public half of galfriday_gitops/demo/signing/demo_signing_key (tests keep them equal).
DEMO_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINg6voMO6a3GwvUmzaoPsq3O+bD4VybL2AYralTgq78L"


def signing_configured(repo: Path | str) -> bool:
    """git's SSH signing: ``gpg.format=ssh`` and a ``user.signingkey``."""
    return gitio.config_get(repo, "gpg.format") == "ssh" and bool(
        gitio.config_get(repo, "user.signingkey")
    )


def trusts_demo_key(allowed_signers: bytes) -> bool:
    """Whether an allowed-signers file lists the demo key (whose private half is public)."""
    key = DEMO_PUBLIC_KEY.split()[1].encode()
    return any(key in line.split() for line in allowed_signers.splitlines())
