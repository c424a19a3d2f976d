#!/usr/bin/env bash
# docs/layers.md, optimizers.md, losses.md, metrics.md, sources.md, callbacks.md, schedules.md,
# samplers.md and pruners.md
# are what `runner KIND --format markdown` prints from the components' schemas.
# Usage: check_component_docs.sh SOURCE_DIR RUNNER
set -euo pipefail
root=$1
runner=$2
failures=0
for kind in layers optimizers losses metrics sources callbacks schedules samplers pruners; do
  if ! diff -u "$root/docs/$kind.md" <("$runner" "$kind" --format markdown); then
    echo "docs/$kind.md is out of date; regenerate it: runner $kind --format markdown > docs/$kind.md"
    failures=$((failures + 1))
  fi
done
((failures == 0)) || exit 1
echo "the component pages match the schemas"
