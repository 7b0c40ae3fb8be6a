#!/usr/bin/env bash
# Build the web map (web/) into the Python package (src/leolink/service/static), with the
# exact dependencies of web/package-lock.json.  The built files are committed, so installing
# leolink needs no npm; run this after changing anything under web/ and commit the result
# (tests/web/test_bundle.py fails while the shipped bundle is older than its sources).
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install tsc --noEmit
npx --no-install vite build --logLevel warn
du -sh ../src/leolink/service/static >&2
