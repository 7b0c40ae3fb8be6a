#!/usr/bin/env bash
# Install Debian's Chromium (and a font, so text renders) for the web map's end-to-end tests,
# when it is missing.  The tests drive /usr/bin/chromium through Playwright's Python API; they
# never download a browser of their own.  Needs root (or sudo) and Debian's package registry.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# Chromium needs at least one font to lay out text; DejaVu is small and Debian's default.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${need[*]} with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
/usr/bin/chromium --version >&2
