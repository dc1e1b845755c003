#!/bin/sh
# t0800-robot.sh: caravel-robot against real relays on loopback, checked
# with nostr-tools (tests/js/robot.test.mjs). Needs node >= 20 and
# `npm ci --prefix tests/js`; in CI a missing piece fails, elsewhere it is
# a loud skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

missing()
{
	if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
		echo "FAIL: t0800: $1" >&2
		exit 1
	fi
	echo "SKIP: t0800: $1; the caravel-robot tests did NOT run" >&2
	exit 77
}
command -v node >/dev/null 2>&1 || missing "node is not installed"
[ -f "$top_srcdir/tests/js/node_modules/nostr-tools/package.json" ] ||
	missing "tests/js/node_modules is missing: run npm ci --prefix tests/js"
command -v sqlite3 >/dev/null 2>&1 || missing "the sqlite3 shell is missing"

tmp=$(mktemp -d /tmp/caravel-robot.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
unset CARAVEL_TEST_NOW CARAVEL_STOP_AT
cd "$top_srcdir/tests/js" &&
    CARAVEL_BUILDDIR=$top_builddir CARAVEL_SRCDIR=$top_srcdir \
    CARAVEL_TMP=$tmp node --test --test-reporter=tap robot.test.mjs
