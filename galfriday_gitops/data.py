"""One reader for tabular inputs (experiment outcomes, drift reference and current data).

:func:`read_table` reads CSV (plain or gzip) and Parquet into a pandas DataFrame. Data
files in a registry are usually tracked by DVC and absent from a fresh clone, so a path
that does not exist is fetched with ``dvc pull`` when DVC knows it: a ``<path>.dvc``
file beside it, or an output recorded in ``dvc.lock`` (a pipeline stage's output, or a
file inside one). Every failure is a :class:`~galfriday_gitops.errors.UserError` (one
line, exit 2), never a pandas traceback.

pandas is imported inside the function: importing this module must stay cheap, because
the CLI imports every command module to build its parser.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TableFormat", "read_table", "table_format"]


class TableFormat(enum.Enum):
    """The formats :func:`read_table` understands."""

    CSV = "csv"
    CSV_GZ = "csv.gz"
    PARQUET = "parquet"


_SUFFIXES: dict[str, TableFormat] = {
    ".csv": TableFormat.CSV,
    ".csv.gz": TableFormat.CSV_GZ,
    ".parquet": TableFormat.PARQUET,
    ".pq": TableFormat.PARQUET,
}


def table_format(path: Path) -> TableFormat:
    """The format of ``path``, from its name (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``)."""
    name = path.name.lower()
    # Longest suffix first, so "x.csv.gz" is gzip CSV and not an unknown ".gz".
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    known = ", ".join(sorted(_SUFFIXES))
    raise UserError(f"{path}: unknown table format (expected one of {known})")


def _available_columns(path: Path, fmt: TableFormat) -> list[str]:
    import pandas as pd

    if fmt is TableFormat.PARQUET:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    header = pd.read_csv(path, nrows=0, compression="gzip" if fmt is TableFormat.CSV_GZ else None)
    return [str(c) for c in header.columns]


def read_table(
    path: str | Path, *, repo: Path | None = None, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read a CSV (plain or ``.gz``) or Parquet file into a DataFrame.

    ``path`` relative paths are taken relative to ``repo`` when given. A missing file that
    DVC tracks is pulled first (``repo`` is the DVC project root; by default the nearest
    folder above the file with a ``.dvc/`` directory). ``columns`` restricts what is read
    and every one of them must exist; the result has them in that order. Raises
    :class:`UserError` for a missing or unreadable file, an unknown format or missing columns.
    """
    path = Path(path)
    if repo is not None and not path.is_absolute():
        path = repo / path
    fmt = table_format(path)
    if path.is_dir():
        raise UserError(f"{path}: is a directory, expected a {fmt.value} file")
    if not path.exists():
        from galfriday_gitops.dvcio import pull_if_missing

        pull_if_missing(path, repo)

    import pandas as pd
    import pyarrow as pa

    wanted = list(dict.fromkeys(columns)) if columns is not None else None
    try:
        if wanted is not None:
            available = _available_columns(path, fmt)
            missing = [c for c in wanted if c not in available]
            if missing:
                raise UserError(
                    f"{path}: missing column(s) {', '.join(map(repr, missing))} "
                    f"(columns: {', '.join(available) or 'none'})"
                )
        if fmt is TableFormat.PARQUET:
            frame = pd.read_parquet(path, columns=wanted)
        elif fmt is TableFormat.CSV_GZ:
            frame = pd.read_csv(path, usecols=wanted, compression="gzip")
        else:
            frame = pd.read_csv(path, usecols=wanted, compression=None)
    except UserError:
        raise
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: empty {fmt.value} file (no header row)") from None
    except (OSError, EOFError, ValueError, zlib.error, pa.ArrowException) as exc:
        # Corrupt gzip, a Parquet file that is not one, bad CSV quoting, undecodable bytes.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: unreadable {fmt.value} file: {detail}") from None
    # usecols keeps the file's order; callers get the order they asked for.
    if wanted is not None and list(frame.columns) != wanted:
        frame = frame[wanted]
    return frame
