#!/bin/sh
# t0620: the fake Stripe (tests/fakes/stripe.mjs) answers what Stripe
# answers, in the shapes of API 2026-10-28.endive, and its webhooks pass
# the official verifier: tests/js/stripe-fake.test.mjs drives it with the
# npm client stripe 23.1.0. Needs node >= 20 and `npm ci --prefix
# tests/js`; in CI (CI set) a missing piece is a failure, elsewhere a loud
# skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"

js=$top_srcdir/tests/js

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0620 "the Stripe fake tests"
needs_node stripe

exec node --test --test-reporter=spec "$js/stripe-fake.test.mjs"
