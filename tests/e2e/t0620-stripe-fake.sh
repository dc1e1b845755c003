#!/bin/sh
# t0620: the fake Stripe (tests/fakes/stripe.mjs) answers what Stripe
# answers, in the shapes of API 2026-10-28.endive, and its webhooks pass
# the official verifier: tests/js/stripe-fake.test.mjs drives it with the
# npm client stripe 23.1.0. Needs node >= 20 and `npm ci --prefix
# tests/js`; in CI (CI set) a missing piece is a failure, elsewhere a loud
# skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"

js=$top_srcdir/tests/js

missing() {
	if [ -n "${CI:-}" ]; then
		echo "FAIL: t0620: $1" >&2
		exit 1
	fi
	echo "SKIP: t0620: $1" >&2
	echo "SKIP: t0620: the Stripe fake tests did NOT run" >&2
	exit 77
}

command -v node >/dev/null 2>&1 ||
	missing "node is not installed (apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 20 ] 2>/dev/null ||
	missing "node ${major:-?} is too old: node >= 20 is needed"
[ -f "$js/node_modules/stripe/package.json" ] ||
	missing "tests/js/node_modules is missing: run npm ci --prefix tests/js"

exec node --test --test-reporter=spec "$js/stripe-fake.test.mjs"
