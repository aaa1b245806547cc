"""What ``gfops init`` writes: every file of a new registry, as text, from the options.

The workflows, the stage and lifecycle policies, the pre-commit configuration, the README
(its links point at the toolkit's docs at the commit the workflows run) and the
``.gitignore`` are templates shipped in the package (``scaffold/templates/``); the teams file
and CODEOWNERS are built from the ``--team`` options; ``schemas/`` and ``.gto`` are what
``gfops schema --write`` writes. Every YAML file starts with a ``yaml-language-server``
modeline: the registry's own kinds point at ``schemas/``, the workflows and the pre-commit
configuration at their SchemaStore schemas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from galfriday_gitops.schema_files import SCHEMA_DIR, gto_text, schema_texts

#: The workflows a registry gets (``.github/workflows/<name>.yml``). The drift workflow is
#: not among them: it needs a DriftPolicy, which needs a model and its data.
WORKFLOWS = ("check", "review", "apply", "lifecycle", "pages")
#: ``uses:`` of the workflows until ``--action`` names the toolkit commit to trust.
UNPINNED_ACTION = "galfriday-gitops/galfriday-gitops@" + "0" * 40
#: Who approves when no ``--team`` was given: the loader refuses these logins until edited.
PLACEHOLDER_TEAM = ("ml-leads", ("edit-me-reviewer-1", "edit-me-reviewer-2"))
ALLOWED_SIGNERS = "allowed_signers"  # under policies/ (allowedSigners is relative to it)
# What the templates say where the options go (plain text replaced, no template engine).
_SLOT_ACTION = "__GFOPS_ACTION__"
_SLOT_TEAM = "__TEAM__"
_SLOT_DOCS = "__DOCS__"
_SLOT_SIGNING_STEP = "__SIGNING_STEP__"
_SLOT_GIT_CONFIG = "__GIT_CONFIG__\n"
#: The signing key, from the environment's secret, where only the apply job reads it.
SIGNING_KEY_FILE = "${{ runner.temp }}/galfriday-signing-key"
_SIGNING_STEP = """\
      # Audit tags must be signed (policies/allowed_signers): the private key is the secret
      # GALFRIDAY_SIGNING_KEY of the galfriday-bot environment.
      - name: Signing key
        env:
          SIGNING_KEY: ${{ secrets.GALFRIDAY_SIGNING_KEY }}
        run: |
          set -euo pipefail
          if [ -z "$SIGNING_KEY" ]; then
            echo "::error::secret GALFRIDAY_SIGNING_KEY is not set: audit tags must be signed"
            exit 2
          fi
          (umask 077 && printf '%s\\n' "$SIGNING_KEY" > "$RUNNER_TEMP/galfriday-signing-key")

"""
_UNSIGNED_CONFIG = '          GIT_CONFIG_COUNT: "1"\n'
_SIGNING_CONFIG = f"""          GIT_CONFIG_COUNT: "3"
          GIT_CONFIG_KEY_1: gpg.format
          GIT_CONFIG_VALUE_1: ssh
          GIT_CONFIG_KEY_2: user.signingkey
          GIT_CONFIG_VALUE_2: {SIGNING_KEY_FILE}
"""
_WORKFLOW_MODELINE = (
    "# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json\n"
)
_PRE_COMMIT_MODELINE = (
    "# yaml-language-server: $schema=https://json.schemastore.org/pre-commit-config.json\n"
)


@dataclass(frozen=True)
class Layout:
    """The choices the files depend on."""

    teams: Mapping[str, Sequence[str]]  # the first team approves and owns the policies
    action: str  # owner/name@sha of the galfriday-gitops action the workflows use
    signers: bytes | None = None  # an SSH allowed-signers file: audit tags must be signed

    @property
    def approvers(self) -> str:
        return next(iter(self.teams))


def _template(name: str) -> str:
    return (
        resources.files("galfriday_gitops.scaffold")
        .joinpath("templates", name)
        .read_text(encoding="utf-8")
    )


def _teams_yaml(layout: Layout) -> str:
    rows = "".join(f"    {team}: [{', '.join(logins)}]\n" for team, logins in layout.teams.items())
    if layout.signers is None:
        signing = (
            "  # Signing is OFF: audit tags are not signed, so `gfops audit verify` cannot tell a\n"
            "  # tag written by the apply workflow from one written by anyone who can push tags.\n"
            f"  # To turn it on: put the apply job's SSH public key in policies/{ALLOWED_SIGNERS}\n"
            f"  # (`gfops init --allowed-signers FILE` does) and add `allowedSigners: "
            f"{ALLOWED_SIGNERS}`\n"
            "  # to automation below, then give the apply job the private key (galfriday-gitops\n"
            "  # docs/new-registry.md, 'Signing audit tags').\n"
        )
        signers = ""
    else:
        signing = (
            f"  # Signing is ON: every audit tag must carry an SSH signature by a key listed in\n"
            f"  # policies/{ALLOWED_SIGNERS} (the path is relative to policies/).\n"
        )
        signers = f", allowedSigners: {ALLOWED_SIGNERS}"
    return (
        "# yaml-language-server: $schema=../schemas/teams.schema.json\n"
        "# Who may approve what, written by `gfops init`. Judged at a pull request's BASE\n"
        "# revision; GitHub logins, so no org-admin token is needed to check approvals.\n"
        "apiVersion: galfriday/v1\n"
        "kind: Teams\n"
        "metadata:\n"
        "  name: teams\n"
        "spec:\n"
        "  teams:\n"
        f"{rows}"
        "  # The bot that opens the scheduled jobs' pull requests (its reviews never count) and\n"
        "  # the identity `gfops apply` writes the audit tags as.\n"
        f"{signing}"
        '  automation: {login: galfriday-bot, tagger: "gfops apply <apply@galfriday.invalid>"'
        f"{signers}}}\n"
    )


def _docs_url(action: str) -> str:
    """Where the README's links point: the toolkit's files at the commit the workflows run."""
    repository, _, commit = action.partition("@")
    return f"https://github.com/{repository}/blob/{commit}/"


def _codeowners(layout: Layout) -> str:
    owners = " ".join(f"@{login}" for login in layout.teams[layout.approvers])
    paths = ("/policies/", "/experiments/", "/.github/", "/.dvc/", "/.gto")
    return (
        "# Written by `gfops init`: what decides how the registry is judged needs its owners'\n"
        "# review (branch protection: require review from Code Owners). The reconciler asks\n"
        "# the same team for these paths (StagePolicy spec.owners).\n"
        + "".join(f"{path} {owners}\n" for path in paths)
    )


def registry_files(layout: Layout) -> dict[str, bytes]:
    """Path (relative to the registry's root) -> content, for every file ``init`` writes."""
    team = layout.approvers
    files: dict[str, str] = {
        "policies/stages.yaml": _template("stages.yaml").replace(_SLOT_TEAM, team),
        "policies/teams.yaml": _teams_yaml(layout),
        "policies/lifecycle.yaml": _template("lifecycle.yaml"),
        ".pre-commit-config.yaml": _PRE_COMMIT_MODELINE + _template("pre-commit-config.yaml"),
        ".gitignore": _template("gitignore"),
        "README.md": _template("README.md").replace(_SLOT_DOCS, _docs_url(layout.action)),
        ".gto": gto_text(),
        ".github/CODEOWNERS": _codeowners(layout),
    }
    signed = layout.signers is not None
    for name in WORKFLOWS:
        text = _template(f"workflows/{name}.yml").replace(_SLOT_ACTION, layout.action)
        text = text.replace(_SLOT_SIGNING_STEP, _SIGNING_STEP if signed else "")
        text = text.replace(_SLOT_GIT_CONFIG, _SIGNING_CONFIG if signed else _UNSIGNED_CONFIG)
        files[f".github/workflows/{name}.yml"] = _WORKFLOW_MODELINE + text
    for name, text in schema_texts().items():
        files[f"{SCHEMA_DIR}/{name}"] = text
    out = {path: text.encode("utf-8") for path, text in files.items()}
    if layout.signers is not None:
        out[f"policies/{ALLOWED_SIGNERS}"] = layout.signers
    return out
