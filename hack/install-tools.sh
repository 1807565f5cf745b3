#!/usr/bin/env bash
# Installs the real components tests and the local stack need, into a version-keyed cache.
# Idempotent: a second run only checks that the binaries are there.
#   usage: hack/install-tools.sh [kube|helm|moto|ffmpeg|chromium|node]...   (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
mkdir -p "$CT_CACHE_DIR"

# kube-apiserver lives in k8s.io/kubernetes, whose go.mod replaces its staging modules with local
# paths, so `go install` refuses it. A generated wrapper module requires it and pins every k8s.io
# staging module to the matching v0.Y.Z; etcd and kubectl are built the same way.
install_kube() {
  if [[ -x "$KUBE_DIR/bin/kube-apiserver" && -x "$KUBE_DIR/bin/etcd" && -x "$KUBE_DIR/bin/kubectl" && -f "$KUBE_DIR/bin/.stamped" ]]; then
    log "kube-apiserver $KUBE_VERSION, etcd $ETCD_VERSION: cached in $KUBE_DIR"; return
  fi
  local src="$KUBE_DIR/src" staging="v0.${KUBE_VERSION#v1.}"
  mkdir -p "$src" "$KUBE_DIR/bin"
  log "building kube-apiserver $KUBE_VERSION, kubectl and etcd $ETCD_VERSION from Go modules (takes a while once)"
  cat >"$src/go.mod" <<GOMOD
module cloudtranscode.io/hack/kubebuild

go 1.24.0
GOMOD
  cat >"$src/tools.go" <<'GOSRC'
//go:build tools

// Package tools pins the commands we build so `go mod tidy` keeps their modules.
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GOSRC
  (
    cd "$src"
    # Pin all staging modules (the list is whatever k8s.io/kubernetes' go.mod replaces).
    go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/tmp/ct-kube-dl.json
    local kmod; kmod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' /tmp/ct-kube-dl.json)"
    go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION" -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    for m in $(awk '/=> \.\/staging/ {print $1}' "$kmod"); do
      go mod edit -replace="$m=$m@$staging"
    done
    go mod tidy -e >/dev/null 2>&1 || true
    # Stamp the real version (a module build has no git metadata), so clients see v1.Y.Z.
    local minor; minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
    local ver="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    ver="$ver -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    go build -trimpath -ldflags="-s -w $ver" -o "$KUBE_DIR/bin/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver
    go build -trimpath -ldflags="-s -w $ver" -o "$KUBE_DIR/bin/kubectl.new" k8s.io/kubernetes/cmd/kubectl
    mv "$KUBE_DIR/bin/kube-apiserver.new" "$KUBE_DIR/bin/kube-apiserver"; mv "$KUBE_DIR/bin/kubectl.new" "$KUBE_DIR/bin/kubectl"
    go build -trimpath -ldflags="-s -w" -o "$KUBE_DIR/bin/etcd.new" go.etcd.io/etcd/server/v3
    mv "$KUBE_DIR/bin/etcd.new" "$KUBE_DIR/bin/etcd"
  )
  touch "$KUBE_DIR/bin/.stamped"
  log "built: $("$KUBE_DIR/bin/kube-apiserver" --version), etcd $("$KUBE_DIR/bin/etcd" --version | head -1)"
}

install_helm() {
  if [[ -x "$HELM_DIR/bin/helm" && -f "$HELM_DIR/bin/.stamped" ]]; then log "helm $HELM_VERSION: cached"; return; fi
  log "building helm $HELM_VERSION from its Go module"
  # Stamp what helm's Makefile stamps: without it the binary reports no version and assumes
  # Kubernetes v1.20 for `helm template`/`helm lint` (Capabilities.KubeVersion, deprecation checks).
  local gomod kver kmajor kminor
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  kver="$(awk '$1 == "k8s.io/client-go" {print $2}' "$gomod")"   # v0.Y.Z ↔ Kubernetes v1.Y
  kmajor=$(( $(echo "${kver#v}" | cut -d. -f1) + 1 )); kminor="$(echo "$kver" | cut -d. -f2)"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local p
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags="$ldflags -X $p.k8sVersionMajor=$kmajor -X $p.k8sVersionMinor=$kminor"
  done
  mkdir -p "$HELM_DIR/bin"
  GOBIN="$HELM_DIR/tmp" go install -trimpath -ldflags="$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$HELM_DIR/tmp/helm" "$HELM_DIR/bin/helm" && rmdir "$HELM_DIR/tmp"
  touch "$HELM_DIR/bin/.stamped"
  log "built: $("$HELM_DIR/bin/helm" version --short) (assumes Kubernetes v$kmajor.$kminor)"
}

install_moto() {
  if [[ -x "$MOTO_DIR/venv/bin/moto_server" ]]; then log "moto $MOTO_VERSION: cached"; return; fi
  log "installing moto $MOTO_VERSION into a venv"
  python3 -m venv "$MOTO_DIR/venv"
  "$MOTO_DIR/venv/bin/pip" install -q "moto[server]==$MOTO_VERSION"
}

install_ffmpeg() {
  if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then log "ffmpeg: $(command -v ffmpeg)"; return; fi
  log "installing ffmpeg from Debian"
  if [[ $(id -u) -ne 0 ]]; then log "ffmpeg is missing and we are not root: install it with 'apt-get install -y ffmpeg'"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
}

# The console's browser test drives Debian's chromium (playwright-core never downloads a browser).
install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then log "chromium: /usr/bin/chromium"; return; fi
  log "installing chromium from Debian"
  if [[ $(id -u) -ne 0 ]]; then log "chromium is missing and we are not root: install it with 'apt-get install -y chromium'"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

install_node() {
  cd "$REPO_ROOT"
  if [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]]; then log "node_modules: up to date"; return; fi
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
}

targets=("$@"); [[ ${#targets[@]} -eq 0 ]] && targets=(ffmpeg chromium moto node kube helm)
for t in "${targets[@]}"; do "install_$t"; done
