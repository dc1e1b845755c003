#!/bin/sh
# t0600: the fake zooid (tests/fakes/zooid.mjs) rejects what real zooid
# rejects, with zooid's statuses and messages (research/zooid-api.md §5);
# tests/js/zooid-fake.test.mjs signs with nostr-tools. Needs node >= 20
# and `npm ci --prefix tests/js`; in CI (CI set) a missing piece is a
# failure, elsewhere a loud skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"

js=$top_srcdir/tests/js

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0600 "the zooid fake tests"
needs_node nostr-tools

exec node --test --test-reporter=spec "$js/zooid-fake.test.mjs"
