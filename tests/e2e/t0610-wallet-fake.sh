#!/bin/sh
# t0610: the NWC wallet peer (tests/fakes/wallet.mjs) is a NIP-47 wallet
# service on a real relay, in NIP-44 and NIP-04 modes, with one ledger
# and scripted failures; tests/js/wallet-fake.test.mjs drives it with
# @getalby/sdk's NWCClient, nostr-tools and bolt11. Needs node >= 20 and
# `npm ci --prefix tests/js`; in CI (CI set) a missing piece is a
# failure, elsewhere a loud skip.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"

js=$top_srcdir/tests/js

missing() {
	if [ -n "${CI:-}" ]; then
		echo "FAIL: t0610: $1" >&2
		exit 1
	fi
	echo "SKIP: t0610: $1" >&2
	echo "SKIP: t0610: the wallet fake tests did NOT run" >&2
	exit 77
}

command -v node >/dev/null 2>&1 ||
	missing "node is not installed (apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${major:-0}" -ge 20 ] 2>/dev/null ||
	missing "node ${major:-?} is too old: node >= 20 is needed"
for _p in @getalby/sdk nostr-tools bolt11 ws @nostr-relay/core; do
	[ -f "$js/node_modules/$_p/package.json" ] ||
		missing "tests/js/node_modules lacks $_p: run npm ci --prefix tests/js"
done

exec node --test --test-reporter=spec "$js/wallet-fake.test.mjs"
