#!/usr/bin/env bash
# Every runner command line in README.md and docs/*.md names a command runner has and only
# options that command's --help lists. Usage: check_documented_commands.sh SOURCE_DIR RUNNER
set -euo pipefail
root=$1
runner=$2
commands=" $("$runner" --help | awk '/^commands:/{on=1; next} on && NF {print $1}' | tr '\n' ' ')"
[[ $commands == *" compare "* ]] || { echo "could not read the command list from runner --help"; exit 1; }

# Command lines: "$ runner ..." and "runner ..." (also after mpirun or srun) in code blocks, and
# `runner ...` in inline code.
extract() {
  awk '
    /^```/ { block = !block; next }
    block && /(^|[ $])runner / { sub(/^.*(^|[ $])runner /, "runner "); print; next }
    {
      line = $0
      while (match(line, /`runner [^`]*`/)) {
        print substr(line, RSTART + 1, RLENGTH - 2)
        line = substr(line, RSTART + RLENGTH)
      }
    }' "$1"
}

declare -A help=()
failures=0
checked=0
for doc in "$root/README.md" "$root"/docs/*.md; do
  while IFS= read -r line; do
    read -ra words <<<"${line%%#*}"
    command=run
    if [[ ${#words[@]} -gt 1 && $commands == *" ${words[1]} "* ]]; then
      command=${words[1]}
    fi
    [[ -n ${help[$command]:-} ]] || help[$command]=$("$runner" "$command" --help 2>&1)
    for word in "${words[@]:1}"; do
      [[ $word =~ ^(--?[a-zA-Z][a-zA-Z-]*) ]] || continue
      option=${BASH_REMATCH[1]}
      checked=$((checked + 1))
      if [[ $option == --* ]]; then
        grep -qE -- "(^| )${option}( |$)" <<<"${help[$command]}" && continue
      else
        grep -qE -- "(^| )${option} \[" <<<"${help[$command]}" && continue
      fi
      echo "${doc#"$root"/}: '$line': runner $command has no option $option"
      failures=$((failures + 1))
    done
  done < <(extract "$doc")
done
((checked > 20)) || { echo "only $checked options found in the docs: the extraction is broken"; exit 1; }
((failures == 0)) || exit 1
echo "$checked documented options exist"
