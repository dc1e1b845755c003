#!/bin/sh
# t0310: Caravel's BOLT #11 decoder against the npm bolt11 package
# (spec/testing.md layer 2): tests/js/bolt11.test.mjs makes and signs
# random invoices with the package and decodes them with the built
# tests/nostrcli. Needs node >= 20 and `npm ci --prefix tests/js`; in CI
# (CI set) a missing piece is a failure, elsewhere a loud skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

js=$top_srcdir/tests/js
cli=$top_builddir/tests/nostrcli

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0310 "bolt11 cross tests"
needs_node bolt11
if [ ! -x "$cli" ]; then
	echo "FAIL: t0310: $cli was not built (make check builds it)" >&2
	exit 1
fi

# A sanitizer report must not pass for "rejected" (exit 1).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86
UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86
export ASAN_OPTIONS UBSAN_OPTIONS
NOSTRCLI=$cli
CARAVEL_BUILDDIR=$top_builddir
export NOSTRCLI CARAVEL_BUILDDIR
exec node --test --test-reporter=spec "$js/bolt11.test.mjs"
