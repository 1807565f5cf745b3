#!/usr/bin/env bash
# Copies crds/*.yaml (the source of truth, generated from lib/schema) into the Helm chart as
# templates, so `helm upgrade` updates them (Helm never upgrades files in a chart's crds/ folder).
# Each one is rendered only with crds.enabled and kept on uninstall with crds.keep.
#   usage: hack/sync-chart-crds.sh [output-dir]   (default: charts/cloudtranscode/templates/crds)
# test/integration/chart checks that the committed templates match this script's output.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out="${1:-$REPO_ROOT/charts/cloudtranscode/templates/crds}"
mkdir -p "$out"
rm -f "$out"/*.yaml
shopt -s nullglob
files=("$REPO_ROOT"/crds/*.yaml)
[[ ${#files[@]} -gt 0 ]] || { log "no CRDs in $REPO_ROOT/crds: run npm run gen:crds"; exit 1; }
for src in "${files[@]}"; do
  name="$(basename "$src")"
  # Helm would try to evaluate template actions inside descriptions; refuse instead of escaping silently.
  if grep -q '{{' "$src"; then log "$name contains '{{': cannot be used as a Helm template"; exit 1; fi
  {
    printf '# Generated from crds/%s by hack/sync-chart-crds.sh. Do not edit.\n' "$name"
    printf '{{- if .Values.crds.enabled }}\n'
    # Drop the source's own header comment; add chart labels and the keep policy after metadata.name.
    awk '
      NR == 1 && /^#/ { next }
      { print }
      /^metadata:$/ { inmeta = 1; next }
      inmeta && /^  name: / {
        print "  labels:"
        print "    {{- include \"cloudtranscode.labels\" . | nindent 4 }}"
        print "  {{- if .Values.crds.keep }}"
        print "  annotations:"
        print "    helm.sh/resource-policy: keep"
        print "  {{- end }}"
        inmeta = 0
      }
    ' "$src"
    printf '{{- end }}\n'
  } >"$out/$name"
done
log "wrote ${#files[@]} CRD templates to $out"
