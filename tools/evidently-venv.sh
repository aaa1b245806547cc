#!/usr/bin/env bash
# A separate Python environment for the drift calibration benchmark's Evidently column.
#
# Evidently 0.7 does not import with pandas 3 (it uses pandas.core.dtypes.common's
# infer_dtype_from_object, removed in 3.0), and this project runs on pandas 3. So Evidently
# gets its own virtualenv with pandas 2 in .cache/evidently-venv; the benchmark imports
# galfriday_gitops.stats from the work tree (numpy/scipy/pandas are all it needs).
# Idempotent: an environment that already imports Evidently is left alone.
set -euo pipefail

EVIDENTLY_VERSION="0.7.23"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EVIDENTLY_VENV:-$repo_root/.cache/evidently-venv}"
python="${PYTHON:-python3}"

if ! "$venv/bin/python" -c "import evidently" 2>/dev/null; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "evidently==$EVIDENTLY_VERSION" "pandas>=2.1,<3" \
    numpy scipy pyarrow
fi
echo "$venv/bin/python"
