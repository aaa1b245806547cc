#!/usr/bin/env bash
# Fetch GitHub's published API descriptions into .cache/github-specs/ for the forge tests.
#
#   @octokit/openapi           - GitHub's REST OpenAPI description (request/response schemas)
#   @octokit/webhooks-examples - real webhook payloads, per event and action
#
# Versions are pinned exactly so test results do not drift with upstream releases.
# Idempotent: when both pinned packages are already present, it does nothing.
set -euo pipefail

OPENAPI_VERSION="23.0.2"
WEBHOOKS_EXAMPLES_VERSION="7.6.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${GITHUB_SPECS_DIR:-$repo_root/.cache/github-specs}"
modules="$dest/node_modules/@octokit"

fail() {
  echo "fetch-github-specs: $*" >&2
  exit 1
}

installed_version() {
  # Prints the version recorded in an installed package's package.json, or nothing.
  local pkg_json="$modules/$1/package.json"
  [[ -f "$pkg_json" ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pkg_json" | head -n 1
}

if [[ "$(installed_version openapi)" == "$OPENAPI_VERSION" &&
      "$(installed_version webhooks-examples)" == "$WEBHOOKS_EXAMPLES_VERSION" ]]; then
  exit 0
fi

command -v npm >/dev/null 2>&1 || fail "npm is not installed; install Node.js (npm) to fetch the GitHub API specs"

mkdir -p "$dest"
echo "fetch-github-specs: installing @octokit/openapi@$OPENAPI_VERSION and" \
     "@octokit/webhooks-examples@$WEBHOOKS_EXAMPLES_VERSION into $dest" >&2
if ! npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
     --prefix "$dest" \
     "@octokit/openapi@$OPENAPI_VERSION" \
     "@octokit/webhooks-examples@$WEBHOOKS_EXAMPLES_VERSION" >&2; then
  fail "npm install failed (is the npm registry reachable?)"
fi

[[ "$(installed_version openapi)" == "$OPENAPI_VERSION" ]] ||
  fail "@octokit/openapi@$OPENAPI_VERSION missing after npm install"
[[ "$(installed_version webhooks-examples)" == "$WEBHOOKS_EXAMPLES_VERSION" ]] ||
  fail "@octokit/webhooks-examples@$WEBHOOKS_EXAMPLES_VERSION missing after npm install"
echo "fetch-github-specs: done" >&2
