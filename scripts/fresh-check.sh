#!/usr/bin/env bash
# Run the README's two commands as a new machine would: in a fresh clone of the committed
# tree, with an empty pip cache, no pip config or local wheel folders, an empty Yarn
# cache, an empty Jupyter data folder and no Playwright browsers. A green run here means
# no setup step leans on what this machine happens to hold from earlier work.
#   scripts/fresh-check.sh [MAKE TARGETS...]   (default: demo test)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/workbench-fresh.XXXXXX")"
chmod 755 "$scratch"  # the PostgreSQL test server runs as the postgres user
echo "fresh-check: cloning $(git -C "$repo" rev-parse --short HEAD) into $scratch/repo" >&2
git clone -q "$repo" "$scratch/repo"
mkdir -p "$scratch/pip-cache" "$scratch/yarn-cache" "$scratch/jupyter-data" "$scratch/playwright"
export PIP_CACHE_DIR="$scratch/pip-cache" PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS=""
export YARN_CACHE_FOLDER="$scratch/yarn-cache" YARN_ENABLE_GLOBAL_CACHE=false
export JUPYTER_DATA_DIR="$scratch/jupyter-data" PLAYWRIGHT_BROWSERS_PATH="$scratch/playwright"
# A PostgreSQL left running by another checkout must not be what the tests find.
export WORKBENCH_TEST_PG_PORT="${WORKBENCH_FRESH_PG_PORT:-55433}" WORKBENCH_TEST_PG_DATA="$scratch/pg"
cd "$scratch/repo"
status=0
make "${@:-demo}" || status=$?
if [ $# -eq 0 ] && [ $status -eq 0 ]; then make test || status=$?; fi
scripts/pg-test-server.sh stop >/dev/null 2>&1 || true
if [ $status -eq 0 ]; then
  echo "fresh-check: passed; removing $scratch" >&2
  rm -rf "$scratch"
else
  echo "fresh-check: FAILED (exit $status); the clone is kept in $scratch/repo" >&2
fi
exit $status
