#!/usr/bin/env bash
# Times the grader on a class made from the fixtures, with public tools
# (/usr/bin/time). Run from the kit's root after `cargo build -p grader`:
#
#   grader/bench/class.sh batch N [GRADER FLAGS...]   grade N fresh clones with `grader batch`
#   grader/bench/class.sh lone [GRADER FLAGS...]      grade one fresh clone with `grader check`
#
# Each run makes its clones anew, in a temporary folder, as the template
# export makes students' repositories: a third solved, a third untouched, a
# third with a classic mistake from grader/tests/submissions/ (in turn). A
# fresh clone is a folder cargo has never built, so a lone grade compiles
# the lab crate from scratch, as it does for each new clone graded alone;
# `batch` lays the clones' student files over its own copies of the lab in
# the target folder, which the first batch on a target folder builds once.
set -euo pipefail
mode="${1:?batch N or lone}"; shift
grader=./target/debug/grader
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mistakes=(wrong-body-key wrong-method plain-text-token no-cookie in-memory-sessions global-current-user)

# make_clone NAME KIND: KIND is solved, untouched, or the name of a fixture.
make_clone() {
  local clone="$work/class/$1"
  "$grader" export student "$clone" --kit-repo course/kit --kit-ref bench >/dev/null 2>&1
  case "$2" in
    untouched) ;;
    solved)
      cp solution/src/controllers.rs "$clone/lab/src/controllers.rs"
      cp solution/static/js/session.js "$clone/static/js/session.js" ;;
    *)
      cp solution/src/controllers.rs "$clone/lab/src/controllers.rs"
      cp solution/static/js/session.js "$clone/static/js/session.js"
      (cd "grader/tests/submissions/$2" && find . -type f ! -name expected.toml -exec cp --parents {} "$clone" \;) ;;
  esac
}

case "$mode" in
  batch)
    count="${1:?how many clones}"; shift
    for i in $(seq 1 "$count"); do
      case $((i % 3)) in
        1) make_clone "$(printf 'student%02d' "$i")" solved ;;
        2) make_clone "$(printf 'student%02d' "$i")" untouched ;;
        0) make_clone "$(printf 'student%02d' "$i")" "${mistakes[$(((i / 3) % ${#mistakes[@]}))]}" ;;
      esac
    done
    /usr/bin/time -f 'wall %e s, peak %M KiB' \
      "$grader" batch --from "$work/class" --out "$work/grades" --target-dir target --quiet "$@" ;;
  lone)
    make_clone fresh solved
    /usr/bin/time -f 'wall %e s, peak %M KiB' \
      "$grader" check --path "$work/class/fresh" --target-dir target --quiet "$@" >/dev/null || true ;;
  *) echo "usage: $0 batch N [flags] | lone [flags]" >&2; exit 2 ;;
esac
