#!/bin/sh
# t0850-billing.sh: the money path end to end (spec/workers.md §2-§3,
# api.md §5, issue "Billing"): caravel-billing run as cron runs it, the
# API through the real nginx, the fake Stripe sending webhooks signed by
# the official npm stripe package, Alby's wallet service (the platform's
# and tenants' wallets on one ledger) on a real relay. The cases live in
# tests/js/billing.test.mjs. Needs node >= 20 and `npm ci --prefix
# tests/js`; in CI (CI set) a missing piece is a failure, elsewhere a
# loud skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
js=$top_srcdir/tests/js

. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0850 "the billing end-to-end tests"
needs_node nostr-tools stripe @getalby/sdk bolt11 ws @nostr-relay/core
[ -f "$top_srcdir/tests/welshman/node_modules/@welshman/util/package.json" ] ||
    missing "welshman is not installed (npm ci --prefix tests/welshman)"
needs_cmd sqlite3 "the sqlite3 shell (apt-get install sqlite3)"
[ -x "$top_builddir/caravel-billing" ] || missing "caravel-billing is not built"

. "$top_srcdir/tests/e2e/lib.sh"

# --- peers: a relay, the wallets on it, nginx, Stripe ---

start_fake relay "$top_srcdir/tests/relay/relay.mjs"
RELAY_URL=ws://127.0.0.1:$fake_port
start_fake wallet "$top_srcdir/tests/fakes/wallet.mjs" \
    "WALLET_RELAY=$RELAY_URL"
WALLET_URL=http://127.0.0.1:$fake_port
platform=$(curl -q -sS --max-time 20 -X POST -H 'Content-Type: application/json' \
    -d '{"name":"platform","encryption":"nip44"}' "$WALLET_URL/wallets") ||
	bail "the wallet fake made no platform wallet"
NWC_URL=$(printf '%s' "$platform" | jq -r .uri)
[ -n "$NWC_URL" ] && [ "$NWC_URL" != null ] || bail "no platform wallet URI"

# nginx first: Stripe's webhooks go to it, and it needs no API to start.
start_nginx

keys=$(cd "$js" && node --input-type=module -e '
	import { generateSecretKey, getPublicKey } from "nostr-tools/pure";
	const sk = generateSecretKey();
	console.log(Buffer.from(sk).toString("hex"), getPublicKey(sk));') ||
	bail "node could not make a key with nostr-tools"
admin_sk=${keys% *}
admin_pk=${keys#* }

STRIPE_KEY=sk_test_caravel_t0850
WEBHOOK_SECRET=whsec_t0850_$(random_hex32)
: > "$T/stripe.log"
start_fake stripe "$top_srcdir/tests/fakes/stripe.mjs" \
    "STRIPE_FAKE_KEY=$STRIPE_KEY" "STRIPE_FAKE_LOG=$T/stripe.log" \
    STRIPE_FAKE_PRICES=price_basic_t0850:500,price_growth_t0850:2500 \
    "STRIPE_FAKE_WEBHOOK_URL=$BASE/stripe/webhook" \
    "STRIPE_FAKE_WEBHOOK_SECRET=$WEBHOOK_SECRET" \
    "STRIPE_FAKE_WEBHOOK_LOG=$T/webhooks.log"
STRIPE_URL=http://127.0.0.1:$fake_port

api_env "ADMINS=$admin_pk" \
    "STRIPE_SECRET_KEY=$STRIPE_KEY" "STRIPE_API_URL=$STRIPE_URL" \
    "STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET" \
    STRIPE_PRICE_BASIC=price_basic_t0850 \
    STRIPE_PRICE_GROWTH=price_growth_t0850 \
    "NWC_URL=$NWC_URL" NWC_TIMEOUT=4 \
    BTC_PRICE_USD_OVERRIDE=100000 \
    ALLOW_PRIVATE_ADDRESSES=1 \
    HTTP_TIMEOUT=3 \
    BILLING_GRACE_DAYS=7 \
    RELAY_DOMAIN=relays.example.com
# The disk is full while this file exists (src/db_fault.c).
CARAVEL_TEST_DISK_FULL=$T/disk-full
export CARAVEL_TEST_DISK_FULL
# Three children: at most two may wait on the platform wallet at once.
start_api -c 3
diag "nginx on $BASE, relay $RELAY_URL, wallets $WALLET_URL, Stripe $STRIPE_URL"

unset CARAVEL_TEST_NOW CARAVEL_STOP_AT
CARAVEL_BASE=$BASE \
CARAVEL_DB=$DB \
CARAVEL_ENV=$ENV_FILE \
CARAVEL_BUILDDIR=$top_builddir \
CARAVEL_ADMIN_SK=$admin_sk \
CARAVEL_RELAY_URL=$RELAY_URL \
CARAVEL_API_PID=$API_PID \
CARAVEL_TMP=$T \
WALLET_URL=$WALLET_URL \
STRIPE_URL=$STRIPE_URL \
STRIPE_KEY=$STRIPE_KEY \
STRIPE_LOG=$T/stripe.log \
STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET \
CARAVEL_DISK_FULL_FLAG=$CARAVEL_TEST_DISK_FULL \
    node --test --test-concurrency=1 --test-reporter=spec \
    "$js/billing.test.mjs" "$js/flotilla.test.mjs"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "node --test tests/js/billing.test.mjs tests/js/flotilla.test.mjs"
else
	fail "node --test tests/js/billing.test.mjs tests/js/flotilla.test.mjs" \
	    "node exited $rc"
fi
done_testing
