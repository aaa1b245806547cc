#!/usr/bin/env bash
# Fetch axe-core (Deque's accessibility engine) into .cache/axe-core/ for the site's browser
# test, which runs it inside Chromium on every page.
#
# The version is pinned exactly so accessibility results do not drift with upstream releases.
# Idempotent: when the pinned version is already present, it does nothing.
set -euo pipefail

AXE_CORE_VERSION="4.14.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${AXE_CORE_DIR:-$repo_root/.cache/axe-core}"
pkg_json="$dest/node_modules/axe-core/package.json"

fail() {
  echo "fetch-axe-core: $*" >&2
  exit 1
}

installed_version() {
  [[ -f "$pkg_json" ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkg_json" | head -n 1
}

if [[ "$(installed_version)" == "$AXE_CORE_VERSION" && -f "$dest/node_modules/axe-core/axe.min.js" ]]; then
  exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is not installed; install Node.js (npm) to fetch axe-core"

mkdir -p "$dest"
echo "fetch-axe-core: installing axe-core@$AXE_CORE_VERSION into $dest" >&2
if ! npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
     --prefix "$dest" "axe-core@$AXE_CORE_VERSION" >&2; then
  fail "npm install failed (is the npm registry reachable?)"
fi

[[ "$(installed_version)" == "$AXE_CORE_VERSION" ]] ||
  fail "axe-core@$AXE_CORE_VERSION missing after npm install"
[[ -f "$dest/node_modules/axe-core/axe.min.js" ]] || fail "axe.min.js missing after npm install"
echo "fetch-axe-core: done" >&2
