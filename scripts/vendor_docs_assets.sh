#!/usr/bin/env bash
# Vendor the API documentation pages' assets from npm into src/leolink/service/docs_assets, so
# that /docs (Swagger UI) and /redoc work offline (FastAPI's defaults load them from a CDN).
#   swagger-ui-dist@5.35.0 (Apache-2.0): swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png
#   redoc@2.5.4 (MIT): bundles/redoc.standalone.js
# Each file keeps its licence beside it.  Needs npm (the registry); writes only the target folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/src/leolink/service/docs_assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent swagger-ui-dist@5.35.0 redoc@2.5.4 >/dev/null
mkdir -p swagger redoc "$out"
tar xzf swagger-ui-dist-5.35.0.tgz -C swagger
tar xzf redoc-2.5.4.tgz -C redoc
cp swagger/package/swagger-ui-bundle.js swagger/package/swagger-ui.css \
   swagger/package/favicon-32x32.png "$out/"
cp swagger/package/LICENSE "$out/swagger-ui-LICENSE"
cp redoc/package/bundles/redoc.standalone.js "$out/"
cp redoc/package/LICENSE "$out/redoc-LICENSE"
echo "vendored into $out:" && ls -l "$out"
