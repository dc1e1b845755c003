#!/bin/sh
# t0300: Caravel's C Nostr code against nostr-tools, in both directions
# (spec/testing.md layer 2). tests/js/cross.test.mjs drives the built
# tests/nostrcli. Needs node >= 20 and `npm ci --prefix tests/js`; in CI
# (CI set) a missing piece is a failure, elsewhere a loud skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

js=$top_srcdir/tests/js
cli=$top_builddir/tests/nostrcli

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0300 "nostr-tools cross tests"
needs_node nostr-tools
if [ ! -x "$cli" ]; then
	echo "FAIL: t0300: $cli was not built (make check builds it)" >&2
	exit 1
fi

# nostr-tools checks NIP-98 times against the real clock.
unset CARAVEL_TEST_NOW
# A sanitizer report must not pass for "rejected" (exit 1).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86
UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86
export ASAN_OPTIONS UBSAN_OPTIONS
NOSTRCLI=$cli
export NOSTRCLI
exec node --test --test-reporter=spec "$js/cross.test.mjs"
