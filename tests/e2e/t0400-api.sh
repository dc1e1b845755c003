#!/bin/sh
# t0400-api.sh: the API routes end to end (spec/testing.md layer 3): the
# real nginx with the project's site config, caravel-api pre-forked on its
# socket, a fresh SQLite file and the fake Stripe; the requests, with
# NIP-98 headers made by nostr-tools, come from tests/js/api.test.mjs.
# Needs node >= 20 and `npm ci --prefix tests/js`; in CI (CI set) a
# missing piece is a failure, elsewhere a loud skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
js=$top_srcdir/tests/js

# Before lib.sh: it makes a temporary directory and traps every exit.
. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0400 "the API end-to-end tests"
needs_node nostr-tools
needs_cmd sqlite3 "the sqlite3 shell (apt-get install sqlite3)"

. "$top_srcdir/tests/e2e/lib.sh"

# --- the route table: every route has a rule (api.c), or this fails ---

"$CARAVEL_API" --list-routes > "$T/routes" 2> "$T/routes.err"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "caravel-api --list-routes exits 0: every route has a rule"
else
	fail "caravel-api --list-routes exits 0: every route has a rule" \
	    "exit status $rc" "$(cat "$T/routes" "$T/routes.err")"
fi
bad=$(awk 'NF != 3 || $1 !~ /^(GET|POST|PUT)$/ || $2 !~ /^\// ||
    $3 !~ /^(public|signer|admin|tenant|relay|invoice)$/' "$T/routes")
nroutes=$(wc -l < "$T/routes")
if [ -z "$bad" ] && [ "$nroutes" -gt 0 ]; then
	ok "--list-routes: $nroutes lines of METHOD PATTERN RULE"
else
	fail "--list-routes: lines of METHOD PATTERN RULE" "$bad"
fi
dups=$(awk '{ print $1, $2 }' "$T/routes" | sort | uniq -d)
if [ -z "$dups" ]; then
	ok "--list-routes: no route is listed twice"
else
	fail "--list-routes: no route is listed twice" "$dups"
fi

# --- peers and settings ---

# The admin's key, made by nostr-tools (it resolves from tests/js).
keys=$(cd "$js" && node --input-type=module -e '
	import { generateSecretKey, getPublicKey } from "nostr-tools/pure";
	const sk = generateSecretKey();
	console.log(Buffer.from(sk).toString("hex"), getPublicKey(sk));') ||
	bail "node could not make a key with nostr-tools"
admin_sk=${keys% *}
admin_pk=${keys#* }

STRIPE_KEY=sk_test_caravel_t0400
STRIPE_LOG=$T/stripe.log
: > "$STRIPE_LOG"
start_fake stripe "$top_srcdir/tests/fakes/stripe.mjs" STRIPE_FAKE_PORT=0 \
    "STRIPE_FAKE_KEY=$STRIPE_KEY" "STRIPE_FAKE_LOG=$STRIPE_LOG" \
    STRIPE_FAKE_PRICES=price_basic_t0400:500,price_growth_t0400:2500
stripe_pid=$fake_pid
STRIPE_URL=http://127.0.0.1:$fake_port

ORIGINS=https://app.example.com,http://localhost:5173
api_env "ADMINS=$admin_pk" \
    "STRIPE_SECRET_KEY=$STRIPE_KEY" \
    "STRIPE_API_URL=$STRIPE_URL" \
    STRIPE_PRICE_BASIC=price_basic_t0400 \
    STRIPE_PRICE_GROWTH=price_growth_t0400 \
    "ALLOW_ORIGINS=$ORIGINS" \
    RELAY_DOMAIN=relays.example.com \
    RESERVED_SUBDOMAINS=status,billing \
    STRIPE_WEBHOOK_SECRET=whsec_t0400 \
    HTTP_TIMEOUT=5
encryption_secret=$(sed -n 's/^ENCRYPTION_SECRET=//p' "$ENV_FILE")

# The API's disk is full while this file exists (src/db_fault.c).
CARAVEL_TEST_DISK_FULL=$T/disk-full
export CARAVEL_TEST_DISK_FULL
start_api
start_nginx
diag "nginx on $BASE, API socket $API_SOCK, fake Stripe on $STRIPE_URL"

# --- the tests ---

# nostr-tools checks NIP-98 times against the real clock.
unset CARAVEL_TEST_NOW
CARAVEL_BASE=$BASE \
CARAVEL_DB=$DB \
CARAVEL_API_BIN=$CARAVEL_API \
CARAVEL_ADMIN_SK=$admin_sk \
CARAVEL_ENCRYPTION_SECRET=$encryption_secret \
CARAVEL_ALLOW_ORIGINS=$ORIGINS \
CARAVEL_RELAY_DOMAIN=relays.example.com \
CARAVEL_RESERVED=status,billing \
CARAVEL_PRICE_BASIC=price_basic_t0400 \
CARAVEL_PRICE_GROWTH=price_growth_t0400 \
STRIPE_FAKE_LOG=$STRIPE_LOG \
STRIPE_FAKE_CONTROL=$STRIPE_URL/__control \
STRIPE_FAKE_KEY=$STRIPE_KEY \
CARAVEL_DISK_FULL_FLAG=$CARAVEL_TEST_DISK_FULL \
    node --test --test-reporter=spec "$js/api.test.mjs"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "node --test tests/js/api.test.mjs"
else
	fail "node --test tests/js/api.test.mjs" "node exited $rc"
fi

is_alive "$stripe_pid" || fail "the fake Stripe is still running" \
    "$(tail -n 20 "$T/stripe.err")"
if [ -s "$T/stripe.err" ]; then
	fail "the fake Stripe reported no bug of its own" \
	    "$(tail -n 20 "$T/stripe.err")"
fi
stop_nginx
done_testing
