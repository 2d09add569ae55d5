#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver are here (Debian's chromium and
# chromium-driver), installing them when missing; prints the two paths.  Used by the report
# test (tests/workflow/test_report.py), which fails - never skips - when this fails.
set -euo pipefail

log() { echo "chromium.sh: $*" >&2; }
die() { log "$*"; exit 1; }

find_tools() {
    BROWSER=$(command -v chromium || command -v chromium-browser || true)
    DRIVER=$(command -v chromedriver || true)
    [[ -n $BROWSER && -n $DRIVER ]]
}

if ! find_tools; then
    [[ $(id -u) == 0 ]] || die "chromium or chromedriver missing and not root: install Debian's chromium and chromium-driver"
    log "installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    # another apt run (tools/local_slurm.sh at the start of the suite) may hold the lock
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium chromium-driver >/dev/null
    find_tools || die "chromium or chromedriver still missing after apt-get install"
fi
echo "$BROWSER"
echo "$DRIVER"
