#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds, lints, runs every test
# against real components, and asserts that no etcd, kube-apiserver or moto process is left.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
started=$(date +%s)
bash hack/install-tools.sh
npm run --silent build
npm run --silent typecheck
npm run --silent lint

CT_TEST_RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ct-test-run.XXXXXX")"
export CT_TEST_RUN_DIR
report="$CT_TEST_RUN_DIR/jest.json"
set +e
NODE_OPTIONS='--experimental-vm-modules --no-warnings' npx jest --ci --json --outputFile="$report" "$@"
rc=$?
set -e

# Nothing of this run may survive it: every process we started has the run directory in its arguments.
sleep 1
if leftovers=$(pgrep -af -- "$CT_TEST_RUN_DIR"); then
  log "FAIL: processes left behind by the test run:"; echo "$leftovers" >&2
  pkill -KILL -f -- "$CT_TEST_RUN_DIR" || true
  rc=1
else
  log "no etcd, kube-apiserver, moto or component process left behind"
fi
if [[ -f "$report" ]]; then
  node -e 'const r=require(process.argv[1]); console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$report"
fi
log "test run took $(( $(date +%s) - started )) s"
[[ $rc -eq 0 ]] && rm -rf "$CT_TEST_RUN_DIR"
exit $rc
