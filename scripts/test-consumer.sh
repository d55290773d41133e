#!/usr/bin/env bash
# The package judged the way a user meets it: `npm pack` bpfsig (which builds it), install the
# tarball into a temporary copy of examples/vitest (dependencies from the npm registry, or npm's
# cache when offline), typecheck that project against the package's types and run its tests.
# Environment passes through (BPFSIG_REAL=1 lets its real-kernel test boot a Debian kernel).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/bpfsig-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "consumer: npm pack (prepare builds dist/)"
if ! npm pack --pack-destination "$work" >"$work/pack.log" 2>&1; then
  cat "$work/pack.log"
  exit 1
fi
tarball=$(ls "$work"/bpfsig-*.tgz)
echo "consumer: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

mkdir "$work/project"
tar -C examples/vitest --exclude=node_modules --exclude=package-lock.json -cf - . | tar -C "$work/project" -xf -
cd "$work/project"
npm pkg set "dependencies.bpfsig=file:$tarball"
npm install --no-audit --no-fund --prefer-offline
npm run typecheck
npm test
