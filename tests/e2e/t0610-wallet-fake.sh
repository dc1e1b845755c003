#!/bin/sh
# t0610: the NWC wallet peer (tests/fakes/wallet.mjs) is a NIP-47 wallet
# service on a real relay, in NIP-44 and NIP-04 modes, with one ledger
# and scripted failures; tests/js/wallet-fake.test.mjs drives it with
# @getalby/sdk's NWCClient, nostr-tools and bolt11. Needs node >= 20 and
# `npm ci --prefix tests/js`; in CI (CI set) a missing piece is a
# failure, elsewhere a loud skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"

js=$top_srcdir/tests/js

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0610 "the wallet fake tests"
needs_node @getalby/sdk nostr-tools bolt11 ws @nostr-relay/core

exec node --test --test-reporter=spec "$js/wallet-fake.test.mjs"
