"""Files in and out: atomic writes (a reader sees the old file or the new one, never half
of one), and JSON input files read with a one-line error naming the file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from galfriday_gitops.errors import UserError


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, in words; None when it is a regular
    file. A symlink is refused (never followed), but a missing file is reported as missing:
    "symlinks are refused" for a typo sent people looking for a link that was not there."""
    if path.is_symlink():
        return "is a symlink (symlinks are refused: give the file itself)"
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "is not a regular file"
    return None


def read_json(path: Path, what: str) -> Any:
    """A JSON input file, or a one-line UserError naming ``what`` and the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{what} {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{what} {path}: not JSON ({exc})") from None


def read_json_listing(path: Path, what: str) -> list[Any]:
    """A listing from GitHub's REST API saved to a file, in any shape ``gh`` writes it: one
    JSON array, the arrays of ``gh api --paginate`` one after another (``[...][...]``), or
    ``--slurp``'s array of those arrays. The items of every page, in order."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path}: not JSON ({exc})") from None
    decoder = json.JSONDecoder()
    pages: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            page, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise UserError(f"{what} {path}: not JSON ({exc})") from None
        pages.append(page)
    slurped = len(pages) == 1 and isinstance(pages[0], list) and pages[0]
    if slurped and all(isinstance(p, list) for p in pages[0]):
        pages = pages[0]  # --slurp: one array holding each page's array
    if not pages or not all(isinstance(p, list) for p in pages):
        raise UserError(
            f"{what} {path}: expected the JSON array(s) GitHub's API returns "
            "(e.g. the output of gh api ... --paginate)"
        )
    return [item for page in pages for item in page]


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
