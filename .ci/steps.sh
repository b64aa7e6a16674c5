# Used by .ci/run: timed steps and an npm ci that fails on any npm warning.
STEP_TIMES=()

step() {
  local name=$1 started=$SECONDS
  shift
  echo "::: $name"
  "$@"
  STEP_TIMES+=("$(printf '%5ds  %s' $((SECONDS - started)) "$name")")
  echo "::: $name: $((SECONDS - started)) s"
}

summary() {
  echo '::: step times'
  printf '%s\n' "${STEP_TIMES[@]}"
  echo "::: total: ${SECONDS} s"
}

# A fresh install must print no npm warning (an unknown .npmrc key, a script not covered by allowScripts …).
npm_ci_without_warnings() {
  local log
  log=$(mktemp)
  npm ci --no-audit --no-fund 2>&1 | tee "$log"
  if grep -qi '^npm warn' "$log"; then
    echo 'npm ci printed warnings (above)' >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}
