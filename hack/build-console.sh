#!/usr/bin/env bash
# Part of `npm run build`: the console's static front-end and its one library (hls.js, copied from
# node_modules so the api-server serves it itself — no CDN at run time) into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/api-server/console/static
rm -rf "$out"
mkdir -p "$out/vendor"
cp api-server/console/static/* "$out/"
cp node_modules/hls.js/dist/hls.light.min.js "$out/vendor/hls.light.min.js"
cp node_modules/hls.js/LICENSE "$out/vendor/hls.js.LICENSE"
