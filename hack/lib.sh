#!/usr/bin/env bash
# Shared settings for hack/ scripts. Source it; it defines no side effects.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
# The cache lives outside the checkout so a fresh clone (CI) reuses it; keyed by version inside.
CT_CACHE_DIR="${CT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudtranscode-k8s}"
KUBE_DIR="$CT_CACHE_DIR/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
HELM_DIR="$CT_CACHE_DIR/helm-$HELM_VERSION"
MOTO_DIR="$CT_CACHE_DIR/moto-$MOTO_VERSION"
STACK_DIR="$CT_CACHE_DIR/stack"
export CT_CACHE_DIR KUBE_DIR HELM_DIR MOTO_DIR STACK_DIR

log() { printf '[hack] %s\n' "$*" >&2; }
