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

missing() {
	if [ -n "${CI:-}" ]; then
		echo "FAIL: t0310: $1" >&2
		exit 1
	fi
	echo "SKIP: t0310: $1" >&2
	echo "SKIP: t0310: bolt11 cross tests did NOT run" >&2
	exit 77
}

command -v node >/dev/null 2>&1 ||
	missing "node is not installed (apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 20 ] 2>/dev/null ||
	missing "node ${major:-?} is too old: node >= 20 is needed"
[ -f "$js/node_modules/bolt11/package.json" ] ||
	missing "tests/js/node_modules is missing: run npm ci --prefix tests/js"
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
