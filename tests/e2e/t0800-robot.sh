#!/bin/sh
# t0800-robot.sh: caravel-robot against real relays on loopback, checked
# with nostr-tools (tests/js/robot.test.mjs). Needs node >= 20 and
# `npm ci --prefix tests/js`; in CI a missing piece fails, elsewhere it is
# a loud skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0800 "the caravel-robot tests"
needs_node nostr-tools ws @nostr-relay/core
needs_cmd sqlite3 "the sqlite3 shell (apt-get install sqlite3)"

tmp=$(mktemp -d /tmp/caravel-robot.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
unset CARAVEL_TEST_NOW CARAVEL_STOP_AT
cd "$top_srcdir/tests/js" &&
    CARAVEL_BUILDDIR=$top_builddir CARAVEL_SRCDIR=$top_srcdir \
    CARAVEL_TMP=$tmp node --test --test-reporter=tap robot.test.mjs
