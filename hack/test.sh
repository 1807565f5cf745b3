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
report="$CT_TEST_RUN_DIR/jest.log"
set +e
NODE_OPTIONS='--experimental-vm-modules --no-warnings' npx jest --ci "$@" 2>&1 | tee "$report"
rc=${PIPESTATUS[0]}
set -e

# Nothing of this run may survive it: every process we started leads or inherits a process group
# recorded in $CT_TEST_RUN_DIR/pgids (test/env/process.ts), and etcd/kube-apiserver also carry the
# run directory in their arguments.
# The supervisors (hack/supervise.sh) stop their child once jest is gone, and etcd/kube-apiserver take a
# few seconds to shut down: what is still there after 15 s is left behind.
pgids=$(sort -u "$CT_TEST_RUN_DIR/pgids" 2>/dev/null | paste -sd, - || true)
for _ in $(seq 1 15); do
  sleep 1
  pids=$({ if [[ -n "$pgids" ]]; then pgrep -g "$pgids"; fi; pgrep -f -- "$CT_TEST_RUN_DIR"; } | sort -u | paste -sd, - || true)
  # Zombies are already dead (waiting for init to reap them): not left behind.
  leftovers=$(if [[ -n "$pids" ]]; then ps -o pid=,stat=,args= -p "$pids" | awk '$2 !~ /^Z/'; fi || true)
  [[ -z "$leftovers" ]] && break
done
if [[ -n "$leftovers" ]]; then
  log "FAIL: processes left behind by the test run:"; echo "$leftovers" >&2
  if [[ -n "$pgids" ]]; then pkill -KILL -g "$pgids" || true; fi
  pkill -KILL -f -- "$CT_TEST_RUN_DIR" || true
  rc=1
else
  log "no etcd, kube-apiserver, moto or component process left behind"
fi
# One plain closing line with the counts, from jest's summary ("Tests: 1 failed, 2 skipped, 30 passed, 33 total").
summary=$(grep -E '^Tests:' "$report" | tail -1 || true)
count() { echo "$summary" | grep -oE "[0-9]+ $1" | grep -oE '[0-9]+' || echo 0; }
echo "jest: $(count passed) passed, $(count failed) failed, $(count skipped) skipped"
# jest's exit status alone is not trusted (with the global setup's child processes it has been seen to
# exit 0 after failures): a failed test, or no summary at all, fails the run.
if [[ -z "$summary" || "$(count failed)" != 0 ]]; then
  [[ $rc -eq 0 ]] && log "FAIL: jest exited 0 but its summary reports failures (or none): ${summary:-no summary}"
  rc=1
fi
log "test run took $(( $(date +%s) - started )) s"
[[ $rc -eq 0 ]] && rm -rf "$CT_TEST_RUN_DIR"
exit $rc
