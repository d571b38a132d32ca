#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (from the folder this zip was unpacked into). It installs what is missing,
# builds the instructor's grader, and grades the untouched lab once, so that
# the lab's dependencies are compiled into the image: each submission then
# compiles only the student's own code.
#
# Made by `grader export gradescope` from kit @KIT_COMMIT@.
#
#   AUTOGRADER_ROOT    where Gradescope's folders are [/autograder]
#   CARGO_TARGET_DIR   where the lab's builds go [$AUTOGRADER_ROOT/target]
#   GRADER_TARGET_DIR  where the grader's build goes, apart from any student
#                      code [$AUTOGRADER_ROOT/grader-target]
#   GRADER_NO_BROWSER  1: install no browser (and grade without one)
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
KIT="$ROOT/source/kit"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
GRADER_TARGET_DIR="${GRADER_TARGET_DIR:-$ROOT/grader-target}"
export CARGO_TERM_COLOR=never
RUST_TOOLCHAIN="@RUST_TOOLCHAIN@"

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

if have cc; then
  step "a C compiler is installed (SQLite is compiled from C)"
else
  step "installing a C compiler (SQLite is compiled from C)"
  apt_install build-essential
fi

if have cargo; then
  step "Rust is installed: $(cargo --version)"
else
  step "installing Rust $RUST_TOOLCHAIN (rustup, minimal profile)"
  have curl || apt_install curl ca-certificates
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
    sh -s -- -y --profile minimal --default-toolchain "$RUST_TOOLCHAIN"
  . "$HOME/.cargo/env"
fi

browser=""
for candidate in chromium google-chrome google-chrome-stable; do
  if have "$candidate"; then browser="$candidate"; break; fi
done
if [ "${GRADER_NO_BROWSER:-}" = 1 ]; then
  step "no browser (GRADER_NO_BROWSER=1): the browser checks will not be graded"
elif [ -n "$browser" ]; then
  step "a browser is installed: $browser"
elif grep -qi '^ID=debian' /etc/os-release 2>/dev/null; then
  step "installing Debian's chromium"
  apt_install chromium
else
  # Ubuntu's chromium is a snap, which does not run in a container: Google's Chrome does.
  step "installing Google Chrome"
  have curl || apt_install curl ca-certificates
  curl -sSfL -o /tmp/chrome.deb https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb
  apt_install /tmp/chrome.deb
  rm -f /tmp/chrome.deb
fi

if have bwrap; then
  step "bubblewrap is installed (the grader sandboxes the student's code where the image allows)"
else
  step "installing bubblewrap (the grader sandboxes the student's code where the image allows)"
  apt_install bubblewrap || echo "bubblewrap could not be installed: grades run without a sandbox"
fi

step "building the grader"
cd "$KIT"
GRADER_KIT_COMMIT="@KIT_COMMIT@" cargo build --locked --package grader --target-dir "$GRADER_TARGET_DIR"

step "grading the untouched lab once, to build its dependencies into the image"
set +e
"$GRADER_TARGET_DIR/debug/grader" check --path "$KIT" --target-dir "$CARGO_TARGET_DIR" \
  --no-browser --format json --output "$ROOT/setup-grade.json" >/dev/null
status=$?
set -e
# The untouched lab fails its checks (1); it must still build and boot.
if [ "$status" -gt 1 ] || ! grep -A2 '"id": "builds",' "$ROOT/setup-grade.json" | grep -q '"status": "pass"'; then
  echo "the untouched lab could not be graded (exit $status): see $ROOT/setup-grade.json" >&2
  exit 1
fi
step "ready: the image grades with kit @KIT_COMMIT@"
