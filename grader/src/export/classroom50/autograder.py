"""Classroom 50 autograder for @LAB_TITLE@.

Made by `grader export classroom50` from kit @KIT_COMMIT@.

Classroom 50's runner runs this file with its own Python, in the student's
checkout, and reads back what it leaves there. It installs the instructor's
grader, pinned to one commit of the kit (@KIT_REPO@ at @KIT_PIN@), grades the
checkout with it, and leaves result.json and release-body.md for the runner.

Exit status: 0 whenever a grade was produced, whatever it says (a submission
that does not build is a graded 0); non-zero only when the grader could not
be installed or run, which the runner reports as an infrastructure error.

What it reports is feedback: the runner and this file run in the student's
own repository, whose workflow the student can edit. The grade that counts
is the instructor's regrade (`grader batch --repos FILE --before DEADLINE`).

Environment, besides the runner's own:
  GRADER_KIT_URL     the kit's git URL [https://github.com/@KIT_REPO@.git]
  GRADER_ROOT        where the grader is installed [$RUNNER_TEMP/kit-grader]
  GRADER_LAB_TARGET  where the lab is built [$RUNNER_TEMP/lab-target]
  CARGO_TARGET_DIR   where cargo builds the grader [a temporary folder]
  GRADER_NO_BROWSER  1: grade without a browser
  GRADER_DEADLINE    a bound on the grade itself, in seconds [540]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

KIT_URL = os.environ.get("GRADER_KIT_URL") or "https://github.com/@KIT_REPO@.git"
KIT_PIN = "@KIT_PIN@"
# The whole job has 15 minutes, toolchain set-up included.
INSTALL_TIMEOUT = 600


def say(message):
    print(f"autograder: {message}", flush=True)


def scratch(variable, name):
    """A folder outside the checkout: the runner's temporary folder, else the system's."""
    base = os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    return os.environ.get(variable) or os.path.join(base, name)


def allow_the_sandbox():
    """GitHub's Ubuntu runners keep unprivileged user namespaces, which the
    grader's sandbox needs, behind AppArmor; a runner whose sudo asks for no
    password can lift that. Elsewhere the grader says in its report why it
    graded without a sandbox."""
    if os.environ.get("GITHUB_ACTIONS") != "true" or not shutil.which("sudo"):
        return
    subprocess.run(
        ["sudo", "-n", "sysctl", "-w", "kernel.apparmor_restrict_unprivileged_userns=0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )


def install_grader(root):
    """`cargo install`s the grader from the kit at the pinned commit; cargo
    checks out exactly that commit, and builds it with the kit's lock file.
    Debug, not release: it builds in about half the time, and a grade waits
    on the lab's build and the browser, not on the grader."""
    command = [
        "cargo", "install", "--locked", "--debug",
        "--git", KIT_URL, "--rev", KIT_PIN,
        "--root", root, "grader",
    ]
    say(f"installing the grader: {' '.join(command)}")
    environment = dict(os.environ, GRADER_KIT_COMMIT=KIT_PIN[:12], CARGO_TERM_COLOR="never")
    installed = subprocess.run(command, env=environment, timeout=INSTALL_TIMEOUT, check=False)
    return installed.returncode == 0


def main():
    for leftover in ("result.json", "release-body.md"):
        # Only what this run's grader writes may reach the runner.
        if os.path.lexists(leftover):
            os.remove(leftover)
    if not shutil.which("cargo"):
        say("cargo is not installed: set the assignment's runtime to {\"rust\": \"stable\"}")
        return 1
    allow_the_sandbox()
    root = scratch("GRADER_ROOT", "kit-grader")
    try:
        if not install_grader(root):
            say("the grader could not be installed (see cargo's messages above)")
            return 1
    except subprocess.TimeoutExpired:
        say(f"installing the grader took over {INSTALL_TIMEOUT} s")
        return 1
    grader = os.path.join(root, "bin", "grader")
    command = [
        grader, "check", "--path", ".",
        "--target-dir", scratch("GRADER_LAB_TARGET", "lab-target"),
        "--deadline", os.environ.get("GRADER_DEADLINE") or "540",
        "--format", "classroom50", "--output", "result.json",
    ]
    if os.environ.get("GRADER_NO_BROWSER") == "1":
        command.append("--no-browser")
    say(f"grading: {' '.join(command)}")
    graded = subprocess.run(command, check=False)
    try:
        with open("result.json", encoding="utf-8") as written:
            json.load(written)
    except (OSError, ValueError) as why:
        say(f"the grader exited with status {graded.returncode} and wrote no result: {why}")
        return 1
    # 0 passed, 1 a check failed, 2 some check could not be graded: each is a
    # grade, and result.json and the status output say which.
    say(f"graded (the grader's exit status: {graded.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
