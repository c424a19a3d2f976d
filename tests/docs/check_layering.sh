#!/usr/bin/env bash
# The include check (cmake/check_includes.cmake) refuses a wrong-way include with the file, the
# header and its layer, and passes a file that uses only the layers below it.
set -euo pipefail
root=$1
stamp=$(mktemp -u)
check() {
  cmake -D ROOT="$root" -D LAYER=train -D ALLOWED=train,nn,core,data \
        -D MAP=framework/train/=train,framework/nn/=nn,framework/core/=core,framework/app/=app,data/=data \
        -D FILES="$1" -D STAMP="$stamp" -P "$root/cmake/check_includes.cmake" 2>&1
}
if out=$(check tests/fixtures/layering/wrong_way.cpp.txt); then
  echo "a wrong-way include passed the check"; exit 1
fi
grep -q 'wrong_way.cpp.txt: includes "framework/app/mpi/mpi.hpp" (app), but train may use only: train,nn,core,data' <<<"$out" ||
  { echo "unexpected message: $out"; exit 1; }
[[ ! -e $stamp ]] || { echo "the stamp was written for a failed check"; exit 1; }
check tests/fixtures/layering/right_way.cpp.txt >/dev/null || { echo "a right-way include failed"; exit 1; }
[[ -e $stamp ]] || { echo "no stamp after a passed check"; exit 1; }
rm -f "$stamp"
echo "ok"
