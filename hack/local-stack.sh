#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, brings up the local stack (real
# kube-apiserver + etcd, moto, operator, api-server, one runner) and runs an example job through
# SQS end to end. Again while it is up: reuses the stack and runs another job.
#   hack/local-stack.sh [up|job|status|stop]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
cmd="${1:-up}"
if [[ "$cmd" == up || "$cmd" == job ]]; then
  bash hack/install-tools.sh ffmpeg moto node kube
  npm run --silent build >/dev/null
fi
# Node 20 is supported here; the SDK's notice about its future minimum is noise in this tool's output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node dist/hack/stack.js "$cmd"
