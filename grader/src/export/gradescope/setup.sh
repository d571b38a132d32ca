#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (from the folder this zip was unpacked into). It installs what is missing,
# builds the instructor's grader, and grades the untouched lab once, so that
# the lab's dependencies are compiled into the image: each submission then
# compiles only the student's own code.
#
# Where bubblewrap cannot make namespaces (most likely on Gradescope), the
# grader runs the student's build and server as an unprivileged user of
# their own: this script makes that user, and makes the toolchain reachable
# to it (read-only). The grader, run_autograder and results/ stay root's.
#
# Made by `grader export gradescope` from kit @KIT_COMMIT@.
#
#   AUTOGRADER_ROOT    where Gradescope's folders are [/autograder]
#   CARGO_TARGET_DIR   where the lab's builds go [$AUTOGRADER_ROOT/target]
#   GRADER_TARGET_DIR  where the grader's build goes, apart from any student
#                      code [$AUTOGRADER_ROOT/grader-target]
#   GRADER_NO_BROWSER  1: install no browser (and grade without one)
#   GRADER_BIN         a grader already built: use it, build none
#   GRADER_STUDENT_USER  the user the student's code runs as [grader-student]
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
KIT="$ROOT/source/kit"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
GRADER_TARGET_DIR="${GRADER_TARGET_DIR:-$ROOT/grader-target}"
export CARGO_TERM_COLOR=never
RUST_TOOLCHAIN="@RUST_TOOLCHAIN@"
STUDENT_USER="${GRADER_STUDENT_USER:-grader-student}"
# A fresh Rust goes where any user can read it, not into root's home.
SHARED_RUST=/usr/local/rust

step() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

use_rust() {
  if [ -x "$SHARED_RUST/cargo/bin/cargo" ]; then
    export CARGO_HOME="$SHARED_RUST/cargo" RUSTUP_HOME="$SHARED_RUST/rustup" PATH="$SHARED_RUST/cargo/bin:$PATH"
  elif [ -f "$HOME/.cargo/env" ]; then
    . "$HOME/.cargo/env"
  fi
}
use_rust

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
    CARGO_HOME="$SHARED_RUST/cargo" RUSTUP_HOME="$SHARED_RUST/rustup" \
      sh -s -- -y --no-modify-path --profile minimal --default-toolchain "$RUST_TOOLCHAIN"
  use_rust
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

if [ "$(id -u)" = 0 ]; then
  if id -u "$STUDENT_USER" >/dev/null 2>&1; then
    step "the student's code runs as the user $STUDENT_USER where bubblewrap cannot"
  else
    step "making the user $STUDENT_USER, which runs the student's code where bubblewrap cannot"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$STUDENT_USER"
  fi
  # That user reads the toolchain and cargo's registry (the build runs offline).
  as_student() { setpriv --reuid="$STUDENT_USER" --regid="$STUDENT_USER" --clear-groups -- "$@"; }
  toolchain=("$(command -v cargo)" "${CARGO_HOME:-$HOME/.cargo}" "${RUSTUP_HOME:-$HOME/.rustup}")
  if ! as_student cargo --version >/dev/null 2>&1; then
    step "letting $STUDENT_USER through to the toolchain (read-only): chmod o+x on the folders above it"
    for path in "${toolchain[@]}"; do
      folder="$(dirname "$path")"
      while [ "$folder" != / ]; do chmod o+x "$folder"; folder="$(dirname "$folder")"; done
    done
  fi
  if ! as_student cargo --version >/dev/null; then
    echo "the user $STUDENT_USER cannot run cargo ($(command -v cargo))" >&2
    exit 1
  fi
  # Fetched now, as root, so that cargo's registry can be opened to the user
  # (some crates ship files only their owner may read); its builds run offline.
  step "fetching the lab's dependencies, readable by $STUDENT_USER"
  (cd "$KIT" && cargo fetch --locked --quiet)
  for cache in registry git; do
    [ -d "${CARGO_HOME:-$HOME/.cargo}/$cache" ] && chmod -R a+rX "${CARGO_HOME:-$HOME/.cargo}/$cache"
  done
  # Gradescope's folder: the student's user passes through it, and writes nothing there.
  chmod go-w,o+x "$ROOT"
fi

GRADER="${GRADER_BIN:-$GRADER_TARGET_DIR/debug/grader}"
cd "$KIT"
if [ -n "${GRADER_BIN:-}" ]; then
  step "using the grader $GRADER_BIN (GRADER_BIN)"
else
  step "building the grader"
  GRADER_KIT_COMMIT="@KIT_COMMIT@" cargo build --locked --package grader --target-dir "$GRADER_TARGET_DIR"
fi

step "grading the untouched lab once, to build its dependencies into the image"
set +e
"$GRADER" check --path "$KIT" --target-dir "$CARGO_TARGET_DIR" \
  --no-browser --format json --output "$ROOT/setup-grade.json" >/dev/null
status=$?
set -e
# The untouched lab fails its checks (1); it must still build and boot.
if [ "$status" -gt 1 ] || ! grep -A2 '"id": "builds",' "$ROOT/setup-grade.json" | grep -q '"status": "pass"'; then
  echo "the untouched lab could not be graded (exit $status): see $ROOT/setup-grade.json" >&2
  exit 1
fi
step "ready: the image grades with kit @KIT_COMMIT@"
