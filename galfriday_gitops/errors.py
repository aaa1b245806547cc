"""The one exception for "the user's input or environment is wrong" (exit 2, no traceback),
and the one that says which optional extra brings a missing dependency."""

from __future__ import annotations

# Optional dependencies -> the extra of pyproject.toml that installs them. The core
# (validate, check, status, show, promote, apply) needs none of them.
EXTRAS: dict[str, str] = {
    "dvc": "dvc",
    "dvc_s3": "dvc",
    "numpy": "stats",
    "scipy": "stats",
    "pandas": "stats",
    "pyarrow": "stats",
    "dask": "dask",
}


class UserError(Exception):
    """Bad invocation or unreadable repository: shown as one line, exit code 2."""


class MissingExtra(UserError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, module: str) -> None:
        extra = EXTRAS.get(module, "all")
        super().__init__(
            f"this needs {module}, which is not installed: "
            f"pip install 'galfriday-gitops[{extra}]' (or [all] for every extra)"
        )
        self.module = module
        self.extra = extra


def missing_extra(exc: ImportError) -> MissingExtra | None:
    """The MissingExtra an import error means, or None when it is not an optional module."""
    root = (exc.name or "").partition(".")[0]
    return MissingExtra(root) if root in EXTRAS else None
