# Sourced by scripts/run and scripts/test: make .venv with leolink installed, once per change of
# pyproject.toml.  $1 is the pip extra to install ("" or "test").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
extra="${1:-}"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.stamp-${extra:-base}-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    echo "Installing leolink${extra:+ with [$extra]} into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
# Compile the numba kernels into their on-disk caches now rather than in a user's first request
# (~20 s once after an install or a change of a kernel, ~1 s when they are cached).
.venv/bin/python -m leolink.warmup >&2
