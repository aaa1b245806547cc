"""Every DVC call goes through here: the ``dvc`` CLI of this interpreter, as a subprocess,
and the reading of DVC's own files (``.dvc`` files, ``dvc.lock``).

A subprocess keeps ``import dvc`` (0.5 s) out of every command that does not need it,
and DVC's own errors come back as one readable line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops.errors import MissingExtra, UserError
from galfriday_gitops.load.safe_yaml import YamlError, load


class DvcError(UserError):
    """DVC failed, or one of its files is unreadable (one line, exit code 2)."""


# ---------------------------------------------------------------- running DVC


def env() -> dict[str, str]:
    """The environment of every DVC call.

    No usage analytics sent from CI or a user's machine; this interpreter first on PATH,
    because ``dvc.yaml`` stages run ``python -m galfriday_gitops...`` and must get this
    installation, not whichever ``python`` comes first.
    """
    out = dict(os.environ)
    out["DVC_NO_ANALYTICS"] = "1"
    out["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{out.get('PATH', '')}"
    return out


def require_dvc() -> None:
    """MissingExtra naming the extra to install when DVC is not importable here (the
    subprocess would only say ``No module named dvc``)."""
    if importlib.util.find_spec("dvc") is None:
        raise MissingExtra("dvc")


def dvc(cwd: Path, *args: str) -> str:
    """Run ``dvc ARGS`` in ``cwd``; its stdout, or DvcError with why it failed (one line).

    Not ``--quiet`` where a failure matters: DVC then leaves out its ERROR line."""
    require_dvc()
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    if proc.returncode != 0:
        said = failure(proc.stderr or proc.stdout) or f"exit code {proc.returncode}"
        raise DvcError(f"dvc {args[0]} failed: {said}")
    return proc.stdout


# What a remote's refusal means, by the words of DVC's (and boto's, gcsfs's) error line.
_HINTS = (
    (("NoSuchBucket", "bucket does not exist"), "the remote's bucket does not exist"),
    (
        ("403", "Forbidden", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
         "ExpiredToken", "invalid_grant"),
        "the remote refused the credentials: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
        "AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS or the workflow's OIDC role",
    ),
    (("Unable to locate credentials", "NoCredentialsError"), "no credentials for the remote"),
)  # fmt: skip
_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS_JSON")


def failure(output: str) -> str:
    """One line from DVC's output saying why it failed: the ERROR line that carries a cause
    (DVC's last one is often only "failed to push data"), what that means, and no secret
    from this environment."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln.removeprefix("ERROR:").strip() for ln in lines if ln.startswith("ERROR:")]
    caused = [ln for ln in errors if "error occurred" in ln.lower()]
    line = caused[0] if caused else (errors or lines or [""])[-1]
    hint = next((h for words, h in _HINTS if any(w in line for w in words)), None)
    text = f"{line}; {hint}" if hint else line
    for name in _SECRETS:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, "***")
    return text


# ---------------------------------------------------------------- DVC's files


@dataclass(frozen=True, slots=True)
class Output:
    """One entry of a ``.dvc`` file's ``outs``, or of a ``dvc.lock`` stage's deps/outs."""

    path: str
    md5: str | None = None  # ends in ".dir" for a directory
    size: int | None = None
    nfiles: int | None = None  # directories only


@dataclass(frozen=True, slots=True)
class DvcFile:
    """What a ``.dvc`` file tracks: every entry of its ``outs``, in order."""

    outs: tuple[Output, ...]


@dataclass(frozen=True, slots=True)
class LockStage:
    """One stage of ``dvc.lock``: what it read and what it wrote, with their hashes."""

    name: str
    deps: tuple[Output, ...]
    outs: tuple[Output, ...]
    params: Any = None  # the stage's `params:` as recorded ({file: {key: value}}), unchecked


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_FIELDS: dict[str, Callable[[Any], bool]] = {
    "md5": lambda v: isinstance(v, str),
    "size": _is_int,
    "nfiles": _is_int,
}


def _output(entry: Any, where: str, *, strict: bool) -> Output:
    """One entry; ``strict``: a hash or size of the wrong type is an error, else unknown."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise DvcError(f"{where}: an entry without a path")
    fields: dict[str, Any] = {}
    for key, valid in _FIELDS.items():
        value = entry.get(key)
        if value is None or valid(value):
            fields[key] = value
        elif strict:
            raise DvcError(f"{where}: {key} of {entry['path']} has the wrong type")
    return Output(entry["path"], **fields)


def _outputs(entries: Any, where: str, *, strict: bool) -> tuple[Output, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise DvcError(f"{where}: expected a list of entries")
    return tuple(_output(e, where, strict=strict) for e in entries)


def parse_dvc_file(raw: bytes, where: str = ".dvc file") -> DvcFile:
    """Parse the bytes of a ``.dvc`` file (with the loader's limits: it may come from a
    pull request); DvcError naming ``where`` when it is not one."""
    try:
        data = load(raw, with_positions=False).data
    except YamlError as exc:
        raise DvcError(f"{where}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict) or not isinstance(data.get("outs"), list):
        raise DvcError(f"{where}: not a .dvc file (no outs list)")
    return DvcFile(_outputs(data["outs"], where, strict=True))


def read_dvc_file(path: Path) -> DvcFile:
    """Parse a ``.dvc`` file of the work tree."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DvcError(f"{path}: no such .dvc file") from None
    except OSError as exc:
        raise DvcError(f"{path}: unreadable ({exc.strerror})") from None
    return parse_dvc_file(raw, str(path))


def read_lock(root: Path) -> list[LockStage]:
    """The stages recorded in ``root/dvc.lock`` ([] without one); DvcError if unreadable.

    A pipeline's lock file can outgrow the loader's 256 KiB limit for registry files, and
    DVC itself reads it from this work tree, so the stock safe loader reads it here. Only
    paths are needed to find what to pull: a hash of the wrong type is read as unknown.
    """
    import yaml

    lock = root / "dvc.lock"
    try:
        data = yaml.safe_load(lock.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DvcError(f"{lock}: unreadable ({exc.__class__.__name__})") from None
    return _lock_stages(data, str(lock))


def _lock_stages(data: Any, where: str) -> list[LockStage]:
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        return []
    out = []
    for name, stage in stages.items():
        if isinstance(stage, dict):
            place = f"{where}: stage {name}"
            deps = _outputs(stage.get("deps"), place, strict=False)
            outs = _outputs(stage.get("outs"), place, strict=False)
            out.append(LockStage(str(name), deps, outs, stage.get("params")))
    return out


def parse_lock(raw: bytes, where: str = "dvc.lock") -> list[LockStage]:
    """The stages of a ``dvc.lock`` given as bytes (e.g. a pull request's), read with the
    loader's limits; DvcError naming ``where`` when it cannot be read within them."""
    try:
        data = load(raw, with_positions=False).data
    except YamlError as exc:
        raise DvcError(f"{where}:{exc.line}: {exc.message}") from None
    return _lock_stages(data, where)


def lock_outputs(root: Path) -> list[str]:
    """Every output path recorded in ``dvc.lock`` (relative to ``root``, no trailing /)."""
    return [o.path.rstrip("/") for stage in read_lock(root) for o in stage.outs]


# ---------------------------------------------------------------- work-tree files


def find_dvc_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds a ``.dvc/`` folder."""
    here = start.absolute()
    for candidate in (here, *here.parents):
        if (candidate / ".dvc").is_dir():
            return candidate
    return None


def dvc_target(path: Path, root: Path) -> str | None:
    """What to ``dvc pull`` to materialise ``path``, or None when DVC does not track it.

    ``<path>.dvc`` beside the file wins; otherwise a ``dvc.lock`` output equal to the path
    or a directory output containing it (DVC pulls single files out of tracked folders).
    """
    absolute = path.absolute()
    try:
        rel = absolute.relative_to(root.absolute()).as_posix()
    except ValueError:
        return None
    if absolute.with_name(absolute.name + ".dvc").is_file():
        return rel + ".dvc"
    for out in lock_outputs(root):
        if rel == out or rel.startswith(out + "/"):
            return rel
    return None


def pull_if_missing(path: Path, repo: Path | None = None) -> None:
    """Make sure ``path`` (a file or folder) exists: ``dvc pull`` it when DVC tracks it.

    ``repo`` is the DVC project root; by default (or when it has no ``.dvc/``) the nearest
    folder above ``path`` with one. DvcError, one line, says why the path is not there.
    """
    if path.exists():
        return
    root = repo if repo is not None and (repo / ".dvc").is_dir() else find_dvc_root(path.parent)
    if root is None:
        raise DvcError(f"{path}: no such file or folder")
    target = dvc_target(path, root)
    if target is None:
        raise DvcError(
            f"{path}: no such file or folder (and neither a .dvc file nor a DVC pipeline output)"
        )
    try:
        dvc(root, "pull", target)
    except DvcError as exc:
        raise DvcError(f"{path}: missing, and fetching it through DVC failed: {exc}") from None
    if not path.exists():
        raise DvcError(f"{path}: still missing after dvc pull {target}")


def add(repo: Path, path: Path) -> Output:
    """``dvc add`` one file; returns the one output its new ``.dvc`` file records."""
    dvc(repo, "add", str(path.relative_to(repo)))
    dvc_file = path.with_name(path.name + ".dvc")
    outs = read_dvc_file(dvc_file).outs
    if len(outs) != 1 or outs[0].md5 is None or outs[0].size is None:
        raise DvcError(f"{dvc_file}: expected one output with md5 and size")
    return outs[0]


def push(repo: Path, targets: list[Path]) -> None:
    dvc(repo, "push", *(str(t.relative_to(repo)) for t in targets))


# ---------------------------------------------------------------- remotes


def default_remote(repo: Path) -> tuple[str, str] | None:
    """(name, url) of the default DVC remote, or None when the project has none."""
    if not (repo / ".dvc").is_dir():
        return None
    # `dvc config` prints one raw value; `dvc remote list` wraps long paths at terminal width.
    try:
        name = dvc(repo, "config", "core.remote").strip()
        url = dvc(repo, "config", f"remote.{name}.url").strip() if name else ""
    except DvcError:
        return None
    return (name, url) if name and url else None


def require_remote(repo: Path) -> str:
    """The default remote's name; DvcError saying how to add one when there is none."""
    found = default_remote(repo)
    if found is None:
        raise DvcError(
            f"{repo}: no default DVC remote, so the artifact would be in nobody's storage; "
            "add one with `dvc remote add -d NAME URL` (or pass --no-push to keep it local)"
        )
    return found[0]


def not_in_remote(repo: Path, targets: list[str]) -> dict[str, str]:
    """What of ``targets`` (``.dvc`` files, ``dvc.yaml``) the default remote lacks: path ->
    ``new`` (only in the local cache) or ``missing`` (in neither), per ``dvc status -c``."""
    out = dvc(repo, "status", "--cloud", "--json", *targets)
    try:
        data = json.loads(out or "{}")
    except json.JSONDecodeError:
        raise DvcError(f"dvc status --cloud printed no JSON: {out[:200]!r}") from None
    if not isinstance(data, dict):
        raise DvcError(f"dvc status --cloud printed {type(data).__name__}, not an object")
    return {str(k): str(v) for k, v in data.items() if v in ("new", "missing")}


def md5_of(path: Path) -> str:
    return _digest(path, hashlib.md5(usedforsecurity=False))


def sha256_of(path: Path) -> str:
    """The SHA-256 a manifest records beside DVC's md5 (md5 collisions can be made)."""
    return _digest(path, hashlib.sha256())


def md5_and_sha256(path: Path) -> tuple[str, str]:
    """Both digests of ``path`` from one read (an artifact may be gigabytes)."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    _digest(path, md5, sha256)
    return md5.hexdigest(), sha256.hexdigest()


def _digest(path: Path, *digests: Any) -> str:
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            for digest in digests:
                digest.update(chunk)
    return str(digests[0].hexdigest())
