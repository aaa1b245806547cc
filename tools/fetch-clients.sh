#!/usr/bin/env bash
# Fetch the real clients the tests run on what the toolkit writes into .cache/clients/:
#
#   yaml-language-server       - the editors' YAML language server (schemas, hover, diagnostics)
#   @microsoft/sarif-multitool - ships the official sarif-2.1.0.json schema (in its platform
#                                package, e.g. @microsoft/sarif-multitool-linux) and the
#                                SARIF validator with GitHub's ingestion rules
#
# Versions are pinned exactly so test results do not drift with upstream releases.
# Idempotent: when every pinned package is already present, it does nothing.
set -euo pipefail

YAML_LANGUAGE_SERVER_VERSION="1.25.0"
SARIF_MULTITOOL_VERSION="5.7.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${CLIENTS_DIR:-$repo_root/.cache/clients}"
modules="$dest/node_modules"

fail() {
  echo "fetch-clients: $*" >&2
  exit 1
}

installed_version() {
  # Prints the version recorded in an installed package's package.json, or nothing.
  local pkg_json="$modules/$1/package.json"
  [[ -f "$pkg_json" ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkg_json" | head -n 1
}

platform_pkg() {
  case "$(uname -s)" in
    Linux) echo "@microsoft/sarif-multitool-linux" ;;
    Darwin) echo "@microsoft/sarif-multitool-darwin" ;;
    *) echo "@microsoft/sarif-multitool-win32" ;;
  esac
}

ready() {
  [[ "$(installed_version yaml-language-server)" == "$YAML_LANGUAGE_SERVER_VERSION" &&
     "$(installed_version @microsoft/sarif-multitool)" == "$SARIF_MULTITOOL_VERSION" &&
     -f "$modules/$(platform_pkg)/sarif-2.1.0.json" ]]
}

ready && exit 0

command -v npm >/dev/null 2>&1 || fail "npm is not installed; install Node.js (npm) to fetch the clients"

mkdir -p "$dest"
echo "fetch-clients: installing yaml-language-server@$YAML_LANGUAGE_SERVER_VERSION and" \
     "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION into $dest" >&2
# --ignore-scripts: nothing from the registry runs at install time; the one thing the
# multitool's postinstall does (make its binary executable) is done below.
if ! npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
     --prefix "$dest" \
     "yaml-language-server@$YAML_LANGUAGE_SERVER_VERSION" \
     "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >&2; then
  fail "npm install failed (is the npm registry reachable?)"
fi
if [[ -f "$modules/$(platform_pkg)/Sarif.Multitool" ]]; then
  chmod u+x "$modules/$(platform_pkg)/Sarif.Multitool"
fi

ready || fail "a pinned package is missing after npm install (see $modules)"
echo "fetch-clients: done" >&2
