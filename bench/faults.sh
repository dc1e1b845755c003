#!/bin/sh
# bench/faults.sh: load with faults (issue "Hardening", item 7). For
# BENCH_DURATION seconds wrk drives the real nginx (the project's server
# block, as bench/run.sh sets it up) with a mix of the API's routes
# (bench/faults.lua): public reads, NIP-98 reads, relay writes (POST
# /relays, a new subdomain each; PUT /relays/:id) and signed Stripe
# webhooks, each event sent once. Meanwhile the three cron workers start
# every BENCH_WORKER_EVERY seconds, as cron starts them, against the fake
# zooid, the fake Stripe (which also sends its own webhooks to the API),
# the wallet fake and two test relays (tests/relay/relay.mjs), and
# caravel-admin queues DMs; the three fakes fail one call in ten
# (FAKE_FAIL_RATE, seeded). Then every worker runs one more pass (the
# drain; billing two) and the script checks, printing each result, and
# exits 1 if one fails:
#
#   - no unexpected 5xx from the API, by route (a 502 "zooid-error" from
#     PUT /relays/:id is expected once for each members call the fake
#     zooid failed: the plan check asks zooid and says it could not);
#   - each PUT /relays/:id answered 200 wrote one activity row, a 502 none;
#   - every relay id a 201 of POST /relays carried is in the relay table;
#   - every webhook event answered 200 is in stripe_event once, its
#     effect naming its invoice, which is paid; events answered with a
#     failure are not; every event the fake Stripe delivered is there;
#   - every DM is sent (its gift wrap on the DM relay) or queued for a
#     retry with its last error; none of those caravel-admin queued lost;
#   - every relay is on zooid or waits for a retry with its sync error,
#     and caravel-infra recorded each failed sync;
#   - no invoice paid twice over Lightning, no NWC guard "paid" without
#     its payment or "failed" with one, no customer with two live
#     subscriptions; each active subscription bills exactly its tenant's
#     active paid relays; the invoice mirror matches the fake Stripe;
#   - PRAGMA integrity_check and foreign_key_check;
#   - the workers' passes: started, ran, found the lock held, exited
#     non-zero (none should: the README names the only reasons);
#
# and the figures: requests/s and nginx's p99 per route and route group,
# wrk's own latency, the 5xx count, the passes, the faults the fakes
# injected, the load average. Nothing here is timed against a target;
# the figures are recorded in bench/README.md.
#
# Usage: sh bench/faults.sh   (from a built tree, or top_builddir=DIR; npm
# ci --prefix tests/js done; wrk, nginx, node, sqlite3, jq, curl).
# Settings, from the environment:
#   BENCH_DURATION        seconds of load (default 60; "60s" and "2m" too;
#                         at most 240: the events' signatures live 300 s)
#   BENCH_THREADS         wrk -t (default 2)
#   BENCH_CONNECTIONS     wrk -c (default 32)
#   BENCH_CHILDREN        caravel-api -c (default 4)
#   BENCH_WORKER_EVERY    seconds between cron starts (default 2)
#   BENCH_FAIL_RATE       FAKE_FAIL_RATE of the fakes (default 0.1)
#   BENCH_FAIL_SEED       FAKE_FAIL_SEED (default 1)
#   BENCH_TENANTS         billing tenants (default 24)
#   BENCH_WEBHOOK_RATE    signed events made per second of load (default
#                         1200; a thread that runs out sends GET /plans)
#   FAULTS_MIX            the route weights (bench/faults.lua)
#   FAULTS_CHAOS=1        also kill -9 a caravel-api child every 3 s (its
#                         parent forks another) and restart nginx (QUIT,
#                         then start again) halfway: the checks above must
#                         still hold, and the only extra 5xx allowed is
#                         nginx's 503 "unavailable" for a request a killed
#                         child held, at most one per kill
#   KEEP_TMP=1            keep the work directory (logs, database)
# It takes DURATION plus about a minute; every process it starts is
# stopped by its pid.

# shellcheck disable=SC2046,SC2086 # words are split on purpose
# shellcheck disable=SC2317 # functions called by wait_for

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
# Shared helpers: die, processes and cleanup, wait_for, hex32, sql.
. "$srcdir/bench/lib.sh"
builddir=${top_builddir:-$srcdir}
builddir=$(cd "$builddir" && pwd) || die "top_builddir is not a directory"
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK=${WRK:-wrk}

DURATION=${BENCH_DURATION:-60}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
CHILDREN=${BENCH_CHILDREN:-4}
EVERY=${BENCH_WORKER_EVERY:-2}
FAIL_RATE=${BENCH_FAIL_RATE:-0.1}
FAIL_SEED=${BENCH_FAIL_SEED:-1}
NTENANTS=${BENCH_TENANTS:-24}
HOOK_RATE=${BENCH_WEBHOOK_RATE:-1200}
HOOK_TENANTS=200
HOOK_INVOICES=10
PASS_TIMEOUT=300
RELAY_DOMAIN=relays.example.com
# bench/faults.lua's default.
DEFAULT_MIX=plans=20,health=10,tenant=15,relays=10,create=5,update=10,webhook=30
STRIPE_KEY=sk_test_caravel_faults

case $DURATION in
*s) secs=${DURATION%s} ;;
*m) secs=${DURATION%m}; case $secs in *[!0-9]* | '') ;; *) secs=$((secs * 60)) ;; esac ;;
*) secs=$DURATION ;;
esac
for v in "$secs" "$THREADS" "$CONNS" "$CHILDREN" "$EVERY" "$FAIL_SEED" \
    "$NTENANTS" "$HOOK_RATE"; do
	case $v in
	'' | *[!0-9]*)
		die "BENCH_DURATION, BENCH_THREADS, BENCH_CONNECTIONS," \
		    "BENCH_CHILDREN, BENCH_WORKER_EVERY, BENCH_FAIL_SEED," \
		    "BENCH_TENANTS and BENCH_WEBHOOK_RATE must be numbers" ;;
	esac
done
case $FAIL_RATE in
0 | 1 | 0.[0-9]* | .[0-9]*) ;;
*) die "BENCH_FAIL_RATE must be a number from 0 to 1" ;;
esac
[ "$secs" -ge 1 ] && [ "$secs" -le 240 ] ||
	die "BENCH_DURATION must be 1 to 240 s (the Stripe signatures live 300 s)"
[ "$THREADS" -ge 1 ] && [ "$EVERY" -ge 1 ] && [ "$NTENANTS" -ge 4 ] ||
	die "BENCH_THREADS and BENCH_WORKER_EVERY must be at least 1," \
	    "BENCH_TENANTS at least 4"
[ $((HOOK_RATE * secs)) -le 300000 ] ||
	die "BENCH_WEBHOOK_RATE x DURATION is over 300,000 events"

for p in api admin infra billing robot; do
	[ -x "$builddir/caravel-$p" ] ||
	    die "$builddir/caravel-$p is missing (make, or top_builddir=DIR)"
done
[ -x "$NGINX" ] || die "$NGINX is missing"
for b in "$WRK" node curl jq sqlite3 timeout; do
	command -v "$b" > /dev/null 2>&1 || die "$b is missing"
done
for p in nostr-tools stripe ws @nostr-relay/core @getalby/sdk bolt11; do
	[ -f "$srcdir/tests/js/node_modules/$p/package.json" ] ||
	    die "$p is missing: npm ci --prefix tests/js"
done

# nginx workers started by root run as "nobody" and must reach the socket.
B=$(mktemp -d -t caravel-faults.XXXXXX) || die "mktemp failed"
chmod 0755 "$B"
mkdir -p "$B/run" "$B/nginx/tmp" "$B/pass"
chmod 0755 "$B/run" "$B/nginx" "$B/nginx/tmp"

# A loopback port nobody listens on now.
free_port()
{
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$((20000 + $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 12000))
		if ! grep -q "^ *[0-9]*: [0-9A-F]*:$(printf '%04X' "$_p") " \
		    /proc/net/tcp /proc/net/tcp6 2> /dev/null; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# start NAME SCRIPT [VAR=VALUE...]: a node peer that prints "listening
# PORT"; sets $port.
start()
{
	_name=$1
	_script=$2
	shift 2
	env "$@" node "$_script" < /dev/null > "$B/$_name.out" \
	    2> "$B/$_name.err" &
	pids="$pids $!"
	_pid=$!
	port=
	_t=100
	while [ "$_t" -gt 0 ] && [ -z "$port" ]; do
		alive "$_pid" || break
		port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' \
		    "$B/$_name.out" | head -n 1)
		[ -n "$port" ] || sleep 0.1
		_t=$((_t - 1))
	done
	[ -n "$port" ] || die "$_name did not start: $(tail -n 5 "$B/$_name.err")"
}

FAULTS="FAKE_FAIL_RATE=$FAIL_RATE FAKE_FAIL_SEED=$FAIL_SEED"

# --- the relays and the fakes ---

echo "faults: starting the relays, the fakes, nginx and the API" >&2
start relay1 "$srcdir/tests/relay/relay.mjs"
R1=ws://127.0.0.1:$port
start relay2 "$srcdir/tests/relay/relay.mjs"
R2=ws://127.0.0.1:$port
DEAD=ws://127.0.0.1:$(free_port) || die "no free port"

ZSK=$(hex32)
ZPK=$(node --input-type=module -e '
	import { createRequire } from "node:module";
	const require = createRequire(process.argv[1] + "/package.json");
	const { getPublicKey } = require("nostr-tools/pure");
	console.log(getPublicKey(Uint8Array.from(Buffer.from(process.argv[2],
	    "hex"))));
' "$srcdir/tests/js" "$ZSK") || die "node could not derive a key"
ZLOG=$B/zooid.log
: > "$ZLOG"
start zooid "$srcdir/tests/fakes/zooid.mjs" ZOOID_FAKE_PORT=0 \
    "ZOOID_FAKE_WHITELIST=$ZPK" ZOOID_FAKE_ERA=D "ZOOID_FAKE_LOG=$ZLOG" \
    $FAULTS
ZURL=http://127.0.0.1:$port

start wallet "$srcdir/tests/fakes/wallet.mjs" "WALLET_RELAY=$R1" $FAULTS
WURL=http://127.0.0.1:$port
NWC_URL=$(curl -q -fsS --noproxy '*' --max-time 20 -X POST \
    -H 'Content-Type: application/json' -d '{"name":"platform"}' \
    "$WURL/wallets" | jq -r .uri) && [ "$NWC_URL" != null ] ||
	die "the wallet fake made no platform wallet"

# --- nginx: the project's config, with a second log that times each
# request, and the Stripe fake, whose webhooks go to it ---

API_SOCK=$B/run/api.sock
awk '{ print }
    /^[ \t]*access_log / && !done {
	print "\tlog_format faults \"$msec $request_method $request_uri $status $request_time\";"
	print "\taccess_log @PREFIX@/faults.log faults;"
	done = 1
    }' "$srcdir/nginx/caravel-local.conf.in" > "$B/template.in"
grep -q 'faults.log' "$B/template.in" ||
	die "no access_log line in nginx/caravel-local.conf.in"
nginx_up()
{
	alive "$nginx_pid" && curl -q -s --noproxy '*' --max-time 2 \
	    -o /dev/null "http://127.0.0.1:$PORT/health"
}
nginx_pid=
for _ in 1 2 3 4 5; do
	PORT=$(free_port) || die "no free port"
	sh "$srcdir/scripts/nginx-local-conf.sh" "$B/nginx" "$PORT" \
	    "$API_SOCK" "" "$B/template.in" > "$B/nginx/nginx.conf" ||
	    die "nginx-local-conf.sh failed"
	"$NGINX" -p "$B/nginx/" -c "$B/nginx/nginx.conf" \
	    -e "$B/nginx/error.log" < /dev/null > "$B/nginx/stdout.log" 2>&1 &
	nginx_pid=$!
	wait_for 100 nginx_up && break
	stop "$nginx_pid"
	nginx_pid=
	grep -q 'Address already in use' "$B/nginx/error.log" 2> /dev/null ||
	    die "nginx did not start: $(tail -n 5 "$B/nginx/error.log")"
done
[ -n "$nginx_pid" ] || die "nginx found no free port"
pids="$nginx_pid $pids"
API=http://127.0.0.1:$PORT

HOOK_SECRET=whsec_faults$(hex32)
SLOG=$B/stripe.log
: > "$SLOG"
start stripe "$srcdir/tests/fakes/stripe.mjs" "STRIPE_FAKE_KEY=$STRIPE_KEY" \
    "STRIPE_FAKE_LOG=$SLOG" "STRIPE_FAKE_WEBHOOK_URL=$API/stripe/webhook" \
    "STRIPE_FAKE_WEBHOOK_SECRET=$HOOK_SECRET" \
    "STRIPE_FAKE_WEBHOOK_LOG=$B/stripe-webhooks.log" $FAULTS
SURL=http://127.0.0.1:$port

# --- the API on a fresh database ---

DB=$B/caravel.db
ENV_FILE=$B/caravel.env
{
	echo "DATABASE_URL=sqlite://$DB"
	echo "HOST=127.0.0.1"
	echo "ENCRYPTION_SECRET=$(hex32)"
	echo "RELAY_DOMAIN=$RELAY_DOMAIN"
	echo "ZOOID_API_URL=$ZURL"
	echo "ZOOID_API_SECRET=$ZSK"
	echo "STRIPE_API_URL=$SURL"
	echo "STRIPE_SECRET_KEY=$STRIPE_KEY"
	echo "STRIPE_WEBHOOK_SECRET=$HOOK_SECRET"
	echo "STRIPE_PRICE_BASIC=price_basic"
	echo "STRIPE_PRICE_GROWTH=price_growth"
	echo "NWC_URL=$NWC_URL"
	echo "NWC_TIMEOUT=3"
	echo "BTC_PRICE_USD_OVERRIDE=100000"
	echo "ALLOW_PRIVATE_ADDRESSES=1"
	echo "HTTP_TIMEOUT=5"
	echo "ROBOT_SECRET=$(hex32)"
	echo "ROBOT_NAME=Caravel faults bench"
	echo "ROBOT_OUTBOX_RELAYS=$R1"
	echo "ROBOT_INDEXER_RELAYS=$R1"
	echo "ROBOT_MESSAGING_RELAYS=$R1"
} > "$ENV_FILE"
"$builddir/caravel-admin" --env-file "$ENV_FILE" migrate > "$B/admin.log" 2>&1 ||
	die "caravel-admin migrate failed: $(cat "$B/admin.log")"
env -i PATH="$PATH" "$builddir/caravel-api" --env-file "$ENV_FILE" \
    -s "$API_SOCK" --socket-mode 0666 -c "$CHILDREN" < /dev/null \
    > "$B/api.log" 2>&1 &
api_pid=$!
pids="$pids $api_pid"
api_up()
{
	[ "$(curl -q -s --noproxy '*' --max-time 2 -o /dev/null \
	    -w '%{http_code}' "$API/health")" = 200 ]
}
wait_for 100 api_up || die "GET /health did not answer 200: $(tail -n 5 "$B/api.log")"

# --- the tenants ---

# The webhook events of wrk name the paid invoices of HOOK_TENANTS
# tenants seeded here (customers the fake Stripe never heard of; nothing
# makes the workers look at them).
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
        WHERE i < $HOOK_TENANTS)
    INSERT INTO tenant (pubkey, created_at, stripe_customer_id,
        stripe_subscription_id, subscription_status, billing_reconciled_at)
    SELECT lower(hex(randomblob(32))), strftime('%s', 'now') - 86400 * 300,
        printf('cus_hook%05d', i), printf('sub_hook%05d', i), 'active',
        strftime('%s', 'now')
    FROM n;
    WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m
        WHERE k < $HOOK_INVOICES)
    INSERT INTO invoice (id, tenant, status, currency, amount_due,
        amount_paid, period_start, period_end, created_at, paid_at, paid_via,
        hosted_invoice_url, subscription_id, attempt_count, billing_reason,
        updated_at)
    SELECT printf('in_hook%s%02d', substr(t.stripe_customer_id, 9), m.k),
        t.pubkey, 'paid', 'usd', 3000, 3000,
        t.created_at + 2592000 * m.k, t.created_at + 2592000 * (m.k + 1),
        t.created_at + 2592000 * m.k, t.created_at + 2592000 * m.k + 60,
        'stripe', 'https://invoice.stripe.com/i/acct_faults/' || m.k,
        t.stripe_subscription_id, 1, 'subscription_cycle',
        t.created_at + 2592000 * m.k + 60
    FROM tenant t, m WHERE t.stripe_customer_id GLOB 'cus_hook*';" ||
	die "cannot seed the webhook tenants"
sql -separator '|' "SELECT i.id, t.stripe_customer_id, i.subscription_id,
        i.amount_due, i.created_at, i.period_start, i.period_end, i.paid_at
    FROM invoice i JOIN tenant t ON t.pubkey = i.tenant
    WHERE i.id GLOB 'in_hook*' ORDER BY random();" > "$B/invoices.txt" ||
	die "cannot list the webhook invoices"

echo "faults: making $NTENANTS billing tenants and the reader through the API" >&2
PLAN=$B/plan.txt
TENANTS=$B/tenants.txt
env FAULTS_API="$API" FAULTS_RELAY="$R1" FAULTS_DM_RELAY="$R2" \
    FAULTS_DEAD_RELAY="$DEAD" FAULTS_WALLET_CTL="$WURL" FAULTS_STRIPE="$SURL" \
    FAULTS_TENANTS="$NTENANTS" FAULTS_PLAN="$PLAN" FAULTS_TENANTS_OUT="$TENANTS" \
    node "$srcdir/bench/faults.mjs" setup > "$B/setup.log" 2>&1 ||
	die "the setup failed: $(tail -n 5 "$B/setup.log")"

# check CODE METHOD URL [CURL-ARG...]: one request that must answer CODE.
check()
{
	_want=$1
	_m=$2
	_u=$3
	shift 3
	_got=$(curl -q -s --noproxy '*' --max-time 10 -o "$B/check.body" \
	    -w '%{http_code}' -X "$_m" "$@" "$_u")
	[ "$_got" = "$_want" ] ||
	    die "$_m $_u answered $_got, not $_want: $(head -c 300 "$B/check.body")"
}
set -- $(grep '^reader ' "$PLAN")
READER=$2
check 200 GET "$API/tenants/$READER" -H "Authorization: Nostr $3"
check 200 GET "$API/tenants/$READER/relays" -H "Authorization: Nostr $4"
n=$(jq '.data | length' "$B/check.body")
[ "$n" = 100 ] || die "the reader has $n relays, not 100"
set -- $(grep '^put ' "$PLAN" | head -n 1)
check 200 PUT "$API/relays/$2" -H "Authorization: Nostr $3" \
    -H 'Content-Type: application/json' --data '{"info_name":"Checked"}'
check 200 GET "$API/plans"
sig=$(env STRIPE_WEBHOOK_SECRET="$HOOK_SECRET" node \
    "$srcdir/bench/stripe-bench.mjs" webhook-one "$B/hook.json" "chk$$" \
    < "$B/invoices.txt") || die "bench/stripe-bench.mjs could not sign an event"
check 200 POST "$API/stripe/webhook" -H "Stripe-Signature: $sig" \
    -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary "@$B/hook.json"

# The events of wrk, signed now (Caravel accepts a signature for 300 s).
echo "faults: signing $((HOOK_RATE * secs)) webhook events" >&2
env STRIPE_WEBHOOK_SECRET="$HOOK_SECRET" node "$srcdir/bench/stripe-bench.mjs" \
    webhook-requests "$B/events" "$THREADS" $((HOOK_RATE * secs)) \
    "127.0.0.1:$PORT" "f$$" < "$B/invoices.txt" > "$B/events.count" ||
	die "bench/stripe-bench.mjs could not make the events"

# --- the load ---

# pass WORKER LABEL: one pass as cron runs it (a clean environment, the
# env file); "WORKER LABEL EXIT MS" goes to $B/passes, its log to
# $B/pass/WORKER.LABEL.
pass()
{
	_t0=$(date +%s%N)
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" "$builddir/caravel-$1" \
	    --env-file "$ENV_FILE" > "$B/pass/$1.$2" 2>&1
	_rc=$?
	_t1=$(date +%s%N)
	echo "$1 $2 $_rc $(((_t1 - _t0) / 1000000))" >> "$B/passes"
}

# cron WORKER: a pass every EVERY seconds until $B/stop exists, each
# started in the background as cron starts it (one that finds the last
# still running exits at once: the lock); then waits for them.
cron()
{
	_n=0
	while [ ! -e "$B/stop" ]; do
		_n=$((_n + 1))
		pass "$1" "$_n" &
		sleep "$EVERY"
	done
	wait
}

# dms: two DMs every EVERY seconds through caravel-admin, to the tenants
# in turn; each queued one is listed in $B/dms.
dms()
{
	_n=0
	while [ ! -e "$B/stop" ]; do
		for _ in 1 2; do
			_n=$((_n + 1))
			_pk=$(awk -v n="$_n" 'NR == (n - 1) % c + 1 { print $1 }' \
			    c="$(wc -l < "$TENANTS")" "$TENANTS")
			if "$builddir/caravel-admin" --env-file "$ENV_FILE" dm \
			    "$_pk" "Faults bench DM $_n: your relay is ready." \
			    >> "$B/dm.log" 2>&1; then
				echo "$_n $_pk" >> "$B/dms"
			fi
		done
		sleep "$EVERY"
	done
}

# chaos (FAULTS_CHAOS=1): while the load runs, kill -9 one child of
# caravel-api every 3 s; each kill is a line of $B/kills.
chaos()
{
	while [ ! -e "$B/stop" ]; do
		sleep 3
		_c=$(awk -v p="$api_pid" '$4 == p { print $1; exit }' \
		    /proc/[0-9]*/stat 2> /dev/null)
		[ -n "$_c" ] && kill -9 "$_c" 2> /dev/null &&
		    echo "$_c" >> "$B/kills"
	done
}

# restart_nginx: QUIT lets it finish what it holds; the same config
# starts it again on the same port (connections meanwhile are refused).
restart_nginx()
{
	kill -QUIT "$nginx_pid" 2> /dev/null
	wait "$nginx_pid" 2> /dev/null
	"$NGINX" -p "$B/nginx/" -c "$B/nginx/nginx.conf" \
	    -e "$B/nginx/error.log" < /dev/null >> "$B/nginx/stdout.log" 2>&1 &
	_old=$nginx_pid
	nginx_pid=$!
	pids=$(for p in $pids; do
		[ "$p" = "$_old" ] && p=$nginx_pid
		printf ' %s' "$p"
	done)
	wait_for 100 nginx_up || die "nginx did not start again"
	echo "faults: nginx restarted under load" >&2
}

: > "$B/kills"
mark_log=$(wc -l < "$B/nginx/faults.log")
mark_zooid=$(wc -l < "$ZLOG")
mark_stripe=$(wc -l < "$SLOG")
: > "$B/passes"
: > "$B/dms"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "faults: load for ${secs}s; workers every ${EVERY}s; fakes fail" \
    "$FAIL_RATE of calls (seed $FAIL_SEED)" >&2
loops=
for w in infra billing robot; do
	cron "$w" &
	loops="$loops $!"
done
dms &
loops="$loops $!"
if [ "${FAULTS_CHAOS:-0}" = 1 ]; then
	chaos &
	loops="$loops $!"
fi
pids="$pids $loops"
t0=$(date +%s.%N)
env FAULTS_PLAN="$PLAN" FAULTS_EVENTS="$B/events" FAULTS_OUT="$B/wrk" \
    FAULTS_SUBDOMAIN_PREFIX="fl$$" "$WRK" -t"$THREADS" -c"$CONNS" \
    -d"${secs}s" --latency -s "$srcdir/bench/faults.lua" "$API" \
    > "$B/wrk.out" 2>&1 &
wrk_pid=$!
if [ "${FAULTS_CHAOS:-0}" = 1 ]; then
	sleep $((secs / 2))
	restart_nginx
fi
wait "$wrk_pid" || die "wrk failed: $(tail -n 5 "$B/wrk.out")"
t1=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
touch "$B/stop"
echo "faults: load done; waiting for the passes still running" >&2
for p in $loops; do
	wait "$p"
done
pids=$(for p in $pids; do
	case " $loops " in *" $p "*) ;; *) printf ' %s' "$p" ;; esac
done)

# The drain: one more pass of each, billing's twice (the fake Stripe's
# events about the first one's changes mark their tenants for one more
# look, as workers.md §3 says), the robot's last (billing's DMs).
# stripe_events: wait until the fake Stripe has delivered its events.
stripe_events()
{
	curl -q -fsS --noproxy '*' --max-time 70 \
	    "$SURL/__events?wait_ms=60000" > "$B/stripe-events.json" ||
	    die "cannot read the fake Stripe's events"
}
echo "faults: the drain passes" >&2
t_drain=$(date +%s)
pass infra drain
pass billing drain
stripe_events
pass billing drain2
stripe_events
pass robot drain

# --- what happened ---

# Before the check tables below go into the database.
integrity=$(sql "PRAGMA integrity_check" | tr '\n' ' ' | sed 's/ $//')
fk=$(sql "PRAGMA foreign_key_check" | wc -l)

# importf TABLE COLUMNS FILE: FILE's "|"-separated lines into a new table.
importf()
{
	sql "CREATE TABLE $1 ($2);" ".separator |" ".import $3 $1" ||
	    die "cannot import $3"
}

# The route of each request in nginx's log.
ROUTES='
function route(m, u) {
	if (m == "GET" && u == "/plans") return "GET /plans"
	if (m == "GET" && u == "/health") return "GET /health"
	if (m == "GET" && u ~ /^\/tenants\/[0-9a-f]+$/) return "GET /tenants/:pubkey"
	if (m == "GET" && u ~ /^\/tenants\/[0-9a-f]+\/relays$/)
		return "GET /tenants/:pubkey/relays"
	if (m == "POST" && u == "/relays") return "POST /relays"
	if (m == "PUT" && u ~ /^\/relays\/[0-9a-f]+$/) return "PUT /relays/:id"
	if (m == "POST" && u ~ /^\/stripe\/webhook\?e=evt_/)
		return "POST /stripe/webhook (wrk)"
	if (m == "POST" && u == "/stripe/webhook")
		return "POST /stripe/webhook (fake Stripe)"
	return m " " u " (other)"
}'
TAB=$(printf '\t')
# wrk's own clock ("16769 requests in 10.20s"), for requests/s.
window=$(awk '$2 == "requests" && $3 == "in" { v = $4; sub(/,$/, "", v)
	n = v + 0
	if (v ~ /us$/) n /= 1000000
	else if (v ~ /ms$/) n /= 1000
	else if (v ~ /m$/) n *= 60
	else if (v ~ /h$/) n *= 3600
	printf "%.2f", n }' "$B/wrk.out")
[ -n "$window" ] || die "cannot read wrk's output: $(tail -n 5 "$B/wrk.out")"
tail -n +$((mark_log + 1)) "$B/nginx/faults.log" > "$B/log"
# $B/routes: ROUTE, STATUS, MS, 1 if during the load, URI (tab-separated).
awk -v t0="$t0" -v t1="$t1" "$ROUTES"'
{ printf "%s\t%s\t%.0f\t%d\t%s\n", route($2, $3), $4, $5 * 1000,
    ($1 >= t0 && $1 <= t1 + 0.5), $3 }' "$B/log" > "$B/routes"
cat "$B"/wrk.[0-9]* > "$B/wrk.all"
failed=0
verdict()
{
	_v=$1
	shift
	if [ "$_v" = 0 ]; then
		echo "check ok:     $*"
	else
		echo "check FAILED: $*"
		failed=$((failed + 1))
	fi
}
# tally: the lines of stdin counted, as "LINE: COUNT, ...".
tally()
{
	sort | uniq -c | awk '{ c = $1; sub(/^ *[0-9]+ /, "")
	    printf "%s%s: %s", (NR > 1 ? ", " : ""), $0, c } END { print "" }'
}
# ok CONDITION...: 0 if the test(1) conditions joined by -a hold, else 1.
ok()
{
	if test "$@"; then echo 0; else echo 1; fi
}

# 5xx: a 502 zooid-error of PUT /relays/:id is expected for each members
# call the fake zooid failed; no other.
n5xx=$(awk -F'\t' '$2 >= 500' "$B/routes" | wc -l)
put502=$(awk -F'\t' '$1 == "PUT /relays/:id" && $2 == 502' "$B/routes" |
    wc -l)
tail -n +$((mark_zooid + 1)) "$ZLOG" > "$B/zooid.run"
zmembers=$(jq -r 'select(.method == "GET" and (.path | endswith("/members")))
    | .fault // "none"' "$B/zooid.run" | grep -c '^random')
wrk_codes=$(awk '$1 == "E" { print $2 " " $3 }' "$B/wrk.all" | tally)
other_codes=$(awk '$1 == "E" && !($2 == 502 && $3 == "zooid-error")' \
    "$B/wrk.all" | wc -l)
# With FAULTS_CHAOS, nginx answers 503 "unavailable" for a request a
# killed child held: at most one per kill.
kills=$(wc -l < "$B/kills")
chaos503=0
if [ "$kills" -gt 0 ]; then
	chaos503=$(awk -F'\t' '$2 == 503' "$B/routes" | wc -l)
	other_codes=$(awk '$1 == "E" && !($2 == 502 && $3 == "zooid-error") &&
	    !($2 == 503 && $3 == "unavailable")' "$B/wrk.all" | wc -l)
	[ "$chaos503" -le "$kills" ] || other_codes=$((other_codes + 1))
fi
expected5xx=0
if [ "$put502" = "$zmembers" ] && [ "$other_codes" = 0 ]; then
	expected5xx=$((put502 + chaos503))
fi
unexpected5xx=$((n5xx - expected5xx))
# PUT /relays/:id: one update_relay activity per 200 (and perhaps one for
# a 499: the answer was written but wrk had gone); none for a 502. The
# setup's check made one.
put200=$(awk -F'\t' '$1 == "PUT /relays/:id" && $2 == 200' "$B/routes" |
    wc -l)
put499=$(awk -F'\t' '$1 == "PUT /relays/:id" && $2 == 499' "$B/routes" |
    wc -l)
put_rows=$(($(sql "SELECT count(*) FROM activity WHERE tenant = '$READER'
    AND activity_type = 'update_relay'") - 1))

# POST /relays: every id of a 201 is a row.
awk '$1 == "C" { print $2 }' "$B/wrk.all" > "$B/created.ids"
n201=$(wc -l < "$B/created.ids")
log201=$(awk -F'\t' '$1 == "POST /relays" && $2 == 201' "$B/routes" | wc -l)
importf faults_created "id TEXT" "$B/created.ids"
missing_relays=$(sql "SELECT count(*) FROM faults_created
    WHERE id NOT IN (SELECT id FROM relay)")
rows_made=$(sql "SELECT count(*) FROM relay WHERE subdomain GLOB 'fl$$-*'")

# Webhooks: answered 200 = in stripe_event once, applied to its invoice;
# answered with a failure (but 499: wrk had gone) = not written.
awk '$1 == "M" { print $2 "|" $3 }' "$B/wrk.all" > "$B/events.map"
awk -F'\t' '$1 == "POST /stripe/webhook (wrk)" {
	sub(/^.*\?e=/, "", $5); print $5 "|" $2 }' "$B/routes" \
    > "$B/events.answered"
hooks_sent_twice=$(cut -d'|' -f1 "$B/events.answered" | sort | uniq -d |
    wc -l)
importf faults_map "id TEXT PRIMARY KEY, inv TEXT" "$B/events.map"
importf faults_answer "id TEXT, status INTEGER" "$B/events.answered"
hooks_200=$(sql "SELECT count(*) FROM faults_answer WHERE status = 200")
hooks_bad=$(sql "SELECT count(*) FROM faults_answer a
    LEFT JOIN faults_map m ON m.id = a.id
    LEFT JOIN stripe_event e ON e.id = a.id
    LEFT JOIN invoice i ON i.id = m.inv
    WHERE a.status = 200 AND (m.id IS NULL OR e.id IS NULL
        OR e.object_id IS NOT m.inv
        OR e.effect NOT GLOB 'invoice ' || m.inv || ' *'
        OR i.status IS NOT 'paid')")
hooks_failed_written=$(sql "SELECT count(*) FROM faults_answer a
    JOIN stripe_event e ON e.id = a.id WHERE a.status NOT IN (200, 499)")
hooks_499_written=$(sql "SELECT count(*) FROM faults_answer a
    JOIN stripe_event e ON e.id = a.id WHERE a.status = 499")
hook_invoices=$(sql "SELECT count(*) || ' ' || sum(status = 'paid') FROM invoice
    WHERE id GLOB 'in_hook*'")
hook_effects=$(sql "SELECT group_concat(e || ': ' || n, ', ') FROM
    (SELECT CASE WHEN effect GLOB 'invoice * is paid*' THEN 'paid'
    WHEN effect GLOB 'invoice * not changed*' THEN 'not changed (older)'
    ELSE effect END AS e, count(*) AS n FROM stripe_event
    WHERE object_id GLOB 'in_hook*' GROUP BY 1)")
hooks_other=$(sql "SELECT group_concat(status || ': ' || n, ', ') FROM
    (SELECT status, count(*) AS n FROM faults_answer WHERE status <> 200
    GROUP BY status)")
jq -r '.[] | select(.state == "delivered") | .id' "$B/stripe-events.json" \
    > "$B/delivered.ids"
fake_states=$(jq -r '[.[] | .state] | group_by(.) |
    map("\(.[0]): \(length)") | join(", ")' "$B/stripe-events.json")
n_delivered=$(wc -l < "$B/delivered.ids")
importf faults_delivered "id TEXT" "$B/delivered.ids"
delivered_missing=$(sql "SELECT count(*) FROM faults_delivered
    WHERE id NOT IN (SELECT id FROM stripe_event)")

# DMs, after the drain: sent, with its wraps and a relay that stored it;
# or queued for a retry with its error; or failed, with it.
dm_states=$(sql "SELECT group_concat(status || ': ' || n, ', ') FROM
    (SELECT status, count(*) AS n FROM dm_outbox GROUP BY status)")
dm_half=$(sql "SELECT count(*) FROM dm_outbox o WHERE NOT (
    (status = 'sent' AND sent_at IS NOT NULL AND attempts >= 1
        AND wrap_json IS NOT NULL AND self_wrap_json IS NOT NULL
        AND EXISTS (SELECT 1 FROM dm_delivery d WHERE d.dm_id = o.id
            AND d.ok = 1))
    OR (status = 'queued' AND attempts >= 1 AND last_error <> ''
        AND next_attempt_at > $t_drain)
    OR (status = 'failed' AND failed_at IS NOT NULL AND last_error <> ''))")
dm_queued=$(wc -l < "$B/dms")
cut -d' ' -f1 "$B/dms" > "$B/dms.n"
importf faults_dms "n INTEGER" "$B/dms.n"
dm_lost=$(sql "SELECT count(*) FROM faults_dms q WHERE (SELECT count(*)
    FROM dm_outbox WHERE text = 'Faults bench DM ' || q.n ||
    ': your relay is ready.') <> 1")
dm_retry_errors=$(sql "SELECT group_concat(e || ' (' || n || ')', '; ') FROM
    (SELECT substr(last_error, 1, 70) AS e, count(*) AS n FROM dm_outbox
    WHERE status = 'queued' GROUP BY 1)")
sql "SELECT json_extract(wrap_json, '$.id') FROM dm_outbox
    WHERE status = 'sent'" > "$B/sent.ids"
n_sent=$(wc -l < "$B/sent.ids")
node "$srcdir/bench/faults.mjs" wraps-on-relay "$R2" < "$B/sent.ids" \
    > "$B/sent.missing" 2> "$B/sent.err" ||
	die "cannot ask the DM relay: $(cat "$B/sent.err")"
wraps_missing=$(wc -l < "$B/sent.missing")

# Relays: on zooid as it holds them, or waiting to retry with the error.
curl -q -fsS --noproxy '*' "$ZURL/__state" | jq -r '.relays | to_entries[]
    | "\(.key)|\(.value.host)"' > "$B/zooid.relays" ||
	die "cannot read zooid's state"
importf faults_zooid "id TEXT PRIMARY KEY, host TEXT" "$B/zooid.relays"
relay_states=$(sql "SELECT count(*) || ' relays: ' || sum(synced) ||
    ' synced, ' || sum(synced = 0 AND sync_error <> '') ||
    ' waiting to retry' FROM relay")
relay_half=$(sql "SELECT count(*) FROM relay r WHERE NOT (
    (r.synced = 1 AND EXISTS (SELECT 1 FROM faults_zooid z WHERE z.id = r.id
        AND z.host = r.subdomain || '.$RELAY_DOMAIN'))
    OR (r.synced = 0 AND r.sync_error <> '' AND r.sync_failures > 0))")

# Money: no Stripe invoice paid twice over Lightning, no customer with two
# live subscriptions, no guard "paid" without its payment settled.
curl -q -fsS --noproxy '*' "$WURL/ledger" > "$B/ledger.json" ||
	die "cannot read the wallet ledger"
SETTLED='[.[] | select(.state == "settled" and
    (.description | startswith("Caravel invoice ")))]'
paid_twice=$(jq "$SETTLED"' | group_by(.description) |
    map(select(length > 1)) | length' "$B/ledger.json")
nwc_paid=$(jq "$SETTLED | length" "$B/ledger.json")
jq -r "$SETTLED"' | .[] | .payment_hash' "$B/ledger.json" > "$B/settled"
importf faults_settled "hash TEXT" "$B/settled"
guard_unsettled=$(sql "SELECT count(*) FROM invoice_nwc_payment
    WHERE state = 'paid' AND payment_hash NOT IN (SELECT hash FROM
    faults_settled)")
settled_failed=$(sql "SELECT count(*) FROM invoice_nwc_payment
    WHERE state = 'failed' AND payment_hash IN (SELECT hash FROM
    faults_settled)")
guards=$(sql "SELECT group_concat(state || ': ' || n, ', ') FROM
    (SELECT state, count(*) AS n FROM invoice_nwc_payment GROUP BY state)")
curl -q -fsS --noproxy '*' "$SURL/__state" > "$B/stripe-state.json" ||
	die "cannot read the fake Stripe's state"
two_subs=$(jq '[.subscriptions[] | select(.status != "canceled" and
    .status != "incomplete_expired")] | group_by(.customer) |
    map(select(length > 1)) | length' "$B/stripe-state.json")
# Billing converged: each active subscription of a tenant no change has
# marked since bills exactly its active paid relays; the invoice mirror
# holds every invoice the fake Stripe has, in its status (drafts aside).
jq -r '.subscriptions[] | select(.status == "active") | .id as $s |
    .items.data[] | "\($s)|\(.price.id)|\(.quantity)"' \
    "$B/stripe-state.json" > "$B/items"
importf faults_items "sub TEXT, price TEXT, qty INTEGER" "$B/items"
SUBS="WITH subs AS (SELECT DISTINCT i.sub, t.pubkey FROM faults_items i
        JOIN tenant t ON t.stripe_subscription_id = i.sub
        WHERE t.billing_marked_at IS NULL),
    want AS (SELECT s.sub, 'price_' || r.plan AS price, count(*) AS qty
        FROM subs s JOIN relay r ON r.tenant = s.pubkey
        WHERE r.status = 'active' AND r.plan <> 'free' GROUP BY 1, 2)"
subs_checked=$(sql "$SUBS SELECT count(*) FROM subs")
subs_marked=$(sql "SELECT count(*) FROM tenant WHERE billing_marked_at
    IS NOT NULL AND stripe_subscription_id IN (SELECT sub FROM faults_items)")
subs_wrong=$(sql "$SUBS SELECT count(DISTINCT sub) FROM (
    SELECT w.sub FROM want w WHERE NOT EXISTS (SELECT 1 FROM faults_items i
        WHERE i.sub = w.sub AND i.price = w.price AND i.qty = w.qty)
    UNION ALL SELECT i.sub FROM faults_items i JOIN subs s ON s.sub = i.sub
        WHERE NOT EXISTS (SELECT 1 FROM want w WHERE w.sub = i.sub
        AND w.price = i.price AND w.qty = i.qty))")
jq -r '.invoices[] | select(.status != "draft") | "\(.id)|\(.status)"' \
    "$B/stripe-state.json" > "$B/sinv"
importf faults_sinv "id TEXT, status TEXT" "$B/sinv"
sinv=$(wc -l < "$B/sinv")
mirror_wrong=$(sql "SELECT count(*) FROM faults_sinv s WHERE NOT EXISTS
    (SELECT 1 FROM invoice i WHERE i.id = s.id AND i.status = s.status)")
sub_states=$(jq -r '[.subscriptions[] | .status] | group_by(.) |
    map("\(.[0]): \(length)") | join(", ")' "$B/stripe-state.json")

# caravel-infra: each failed sync recorded (a fail_relay_sync activity
# with the relay's sync_error), as many as its passes counted and as
# zooid writes the fake failed.
infra_failed=$(cat "$B/pass/infra".* | sed -n 's/^caravel-infra: [0-9]* synced, \([0-9]*\) failed.*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
infra_fail_rows=$(sql "SELECT count(*) FROM activity
    WHERE activity_type = 'fail_relay_sync'")
zwrites_failed=$(jq -r 'select(.method != "GET") | .fault // "none"' \
    "$B/zooid.run" | grep -c '^random')

# The passes, "WORKER LABEL EXIT MS" each; one that found the lock held
# logged so and exited 0.
pass_line()
{
	_held=0
	_ran=0
	_bad=0
	awk -v w="$1" -v d="$2" '$1 == w && ($2 ~ /^drain/) == (d == "drain")' \
	    "$B/passes" > "$B/p"
	: > "$B/p.ms"
	while read -r _w _l _rc _ms; do
		if grep -q "another $_w pass holds" "$B/pass/$_w.$_l"; then
			_held=$((_held + 1))
		else
			_ran=$((_ran + 1))
			echo "$_ms" >> "$B/p.ms"
		fi
		[ "$_rc" = 0 ] || _bad=$((_bad + 1))
	done < "$B/p"
	printf '  %-8s %-5s started %3d, ran %3d, found the lock held %3d, exit non-zero %d; %s\n' \
	    "$1" "$2" "$(wc -l < "$B/p")" "$_ran" "$_held" "$_bad" \
	    "$(sort -n "$B/p.ms" | awk '{ v[NR] = $1 / 1000 } END {
		if (NR) printf "passes took %.1f s (median), %.1f s (longest)",
		    v[int((NR + 1) / 2)], v[NR] }')"
}
nonzero=$(awk '$3 != 0' "$B/passes" | wc -l)
# sums WORKER: its passes' summary lines ("caravel-infra: 3 synced, 1 failed, 0
# skipped in 0.41s"), the numbers added up.
sums()
{
	cat "$B/pass/$1".* | sed -n "s/^caravel-$1: \([0-9].*\) in [0-9.]*s\$/\1/p" |
	    awk '{ for (i = 1; i <= NF; i++) {
		if ($i ~ /^\(?[0-9]+$/) {
			p[i] = substr($i, 1, 1) == "(" ? "(" : ""
			s[i] += substr($i, length(p[i]) + 1)
		} else
			w[i] = $i
	    }; n = NF }
	    END { for (i = 1; i <= n; i++)
		printf "%s%s", (i > 1 ? " " : ""), (i in w ? w[i] : p[i] s[i])
		print "" }'
}

# --- the report ---

field()
{
	awk -v k="$1" '$1 == k { print $2 }' "$B/wrk.out"
}
wrk_req=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$B/wrk.out")
wrk_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$B/wrk.out")
wrk_sock=$(sed -n 's/^ *Socket errors: //p' "$B/wrk.out")

echo "Caravel load with faults, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1)), Linux $(uname -r); load average" \
    "before the load $load_before, at its end $load_after"
echo "tools: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')," \
    "wrk $("$WRK" -v 2>&1 | awk 'NR == 1 { print $2 }')," \
    "sqlite $(sqlite3 --version | awk '{ print $1 }'), node $(node --version)"
echo "wrk -t$THREADS -c$CONNS -d${secs}s through nginx (the project's" \
    "config, 1 worker) to caravel-api -c $CHILDREN (-m default);" \
    "mix ${FAULTS_MIX:-$DEFAULT_MIX}"
echo "workers: caravel-infra, caravel-billing, caravel-robot started every" \
    "${EVERY}s as cron starts them; caravel-admin dm twice every ${EVERY}s;"
echo "fakes: zooid, Stripe (and its webhooks to the API), the NWC wallet" \
    "on a test relay; FAKE_FAIL_RATE=$FAIL_RATE FAKE_FAIL_SEED=$FAIL_SEED;" \
    "DMs over two test relays (and a closed port named by 1 tenant in 8)"
echo "tenants: the reader (100 relays), $NTENANTS billing tenants (card," \
    "NWC wallet, empty wallet, nothing, in turn), $HOOK_TENANTS more with" \
    "$((HOOK_TENANTS * HOOK_INVOICES)) paid invoices for the webhook events"
echo
echo "wrk: $wrk_req requests in ${window}s, $wrk_rps req/s;" \
    "$(grep '^faults: webhook' "$B/wrk.out" | sed 's/^faults: //')"
echo "wrk latency (all routes): p50 $(field 50%), p90 $(field 90%)," \
    "p99 $(field 99%)${wrk_sock:+; socket errors: $wrk_sock}"
echo
echo "by route, during the load (nginx's log; ms: \$request_time, whole ms):"
printf '  %-36s %8s %6s %6s %6s  %s\n' route requests "req/s" "p50 ms" \
    "p99 ms" statuses
awk -F'\t' '$4 == 1 { print $1 "\t" $2 }' "$B/routes" | sort | uniq -c |
    awk '{ c = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "\t")
	sep = f[1] in s ? ", " : ""; s[f[1]] = s[f[1]] sep f[2] ": " c }
    END { for (k in s) print k "\t" s[k] }' > "$B/statuses"
awk -F'\t' '$4 == 1 { print $1 "\t" $3 }' "$B/routes" |
    sort -t"$TAB" -k1,1 -k2,2n |
    awk -F'\t' -v w="$window" '
    function flush() {
	if (r != "")
		printf "  %-36s %8d %6.0f %6d %6d  %s\n", r, n, n / w,
		    v[int((n + 1) / 2)], v[int(n * 0.99 + 0.999)], st[r]
    }
    FILENAME == ARGV[1] { st[$1] = $2; next }
    $1 != r { flush(); r = $1; n = 0 }
    { v[++n] = $2 }
    END { flush() }' "$B/statuses" -
echo
echo "by route group, during the load:"
awk -F'\t' -v w="$window" '$4 == 1 {
	g = "other"
	if ($1 ~ /^GET \/(plans|health)$/) g = "public reads"
	else if ($1 ~ /^GET \/tenants/) g = "authenticated reads"
	else if ($1 ~ /relays/) g = "relay writes"
	else if ($1 ~ /webhook \(wrk\)/) g = "webhooks (wrk)"
	else if ($1 ~ /webhook/) g = "webhooks (fake Stripe)"
	n[g]++; if ($2 >= 500) e[g]++; t++; if ($2 >= 500) te++
    } END { for (g in n) printf "  %-36s %8d %6.0f  5xx: %d\n", g, n[g],
	n[g] / w, e[g]
	printf "  %-36s %8d %6.0f  5xx: %d\n", "(all)", t, t / w, te
    }' "$B/routes" | sort
echo
echo "faults the fakes injected (after the setup):"
echo "  zooid: $(wc -l < "$B/zooid.run") requests;" \
    "$(jq -r '.fault // empty' "$B/zooid.run" | tally)"
tail -n +$((mark_stripe + 1)) "$SLOG" > "$B/stripe.run"
echo "  Stripe: $(wc -l < "$B/stripe.run") requests;" \
    "$(jq -r '.fault // empty' "$B/stripe.run" | tally)"
wallet_faults=$(curl -q -fsS --noproxy '*' "$WURL/wallets" | jq -r '.[].name' |
    while read -r w; do
	curl -q -fsS --noproxy '*' "$WURL/wallets/$w" | jq -r '.requests[] |
	    "\(.method) \(.behavior)"'
    done | tally)
echo "  wallet (NWC requests by method and what it did): $wallet_faults"
echo
echo "worker passes (lock held: another pass was running, so it exited at once):"
for w in infra billing robot; do
	pass_line "$w" load
done
for w in infra billing robot; do
	pass_line "$w" drain
done
echo "  infra passes, added up: $(sums infra)"
echo "  billing passes, added up: $(sums billing)"
echo "  robot passes, added up: $(sums robot)"
awk '$3 != 0 { print $1, $2, $3 }' "$B/passes" | while read -r w l rc; do
	echo "  exit $rc: $w pass $l: $(grep -v ': relay \|: dm \|: invoice ' \
	    "$B/pass/$w.$l" | tail -n 3 | tr '\n' ' ')"
done
echo
echo "the fake Stripe's events: $fake_states; subscriptions: $sub_states"
echo "NWC auto-pay guards: ${guards:-none}; settled Lightning payments of" \
    "Stripe invoices: $nwc_paid"
echo "DMs: $dm_states; $dm_queued queued by caravel-admin; still queued" \
    "with: ${dm_retry_errors:-nothing}"
echo "$relay_states"
echo

echo "Expected 5xx: PUT /relays/:id asks zooid for the relay's members before"
echo "a plan change (api.md §5) and answers 502 zooid-error, writing nothing,"
echo "when zooid fails; one such 502 is expected for each members call the"
echo "fake zooid failed, and no other 5xx."
if [ "$kills" -gt 0 ]; then
	echo "Chaos: $kills caravel-api children killed with SIGKILL, nginx" \
	    "restarted once; $chaos503 x 503 unavailable from nginx for a" \
	    "request a killed child held (at most one per kill)."
fi
verdict "$unexpected5xx" "5xx from the API: $n5xx in all, $expected5xx" \
    "expected ($put502 x 502 zooid-error of PUT /relays/:id for" \
    "$zmembers members calls the fake zooid failed), $unexpected5xx" \
    "unexpected (5xx bodies wrk read: ${wrk_codes:-none})"
# A child killed after its commit (FAULTS_CHAOS) wrote its row too.
put503=$(awk -F'\t' '$1 == "PUT /relays/:id" && $2 == 503' "$B/routes" |
    wc -l)
[ "$kills" -gt 0 ] || put503=0
verdict "$(ok "$put_rows" -ge "$put200" -a \
    "$put_rows" -le $((put200 + put499 + put503)))" \
    "PUT /relays/:id: $put200 answered 200 ($put499 499), $put_rows" \
    "update_relay activity rows: one for each, none for a 502"
verdict "$(ok "$missing_relays" = 0 -a "$n201" -gt 0 -a \
    "$n201" -le "$log201")" \
    "POST /relays: $n201 ids from 201 answers ($log201 in nginx's log)," \
    "$missing_relays not in the relay table; $rows_made rows made in all" \
    "(the rest by requests wrk stopped waiting for)"
verdict "$(ok "$hooks_bad" = 0 -a "$hooks_sent_twice" = 0 -a \
    "$hooks_failed_written" = 0 -a "$hooks_200" -gt 0 -a \
    "$hook_invoices" = "$((HOOK_TENANTS * HOOK_INVOICES)) $((HOOK_TENANTS * HOOK_INVOICES))")" \
    "webhooks: $hooks_200 events answered 200, $hooks_bad of them not in" \
    "stripe_event once with their invoice paid; $hooks_sent_twice sent" \
    "twice; other answers: ${hooks_other:-none} ($hooks_failed_written" \
    "failures written; $hooks_499_written of the 499s applied); effects:" \
    "$hook_effects; their invoices (count, paid): $hook_invoices"
verdict "$delivered_missing" "the fake Stripe's deliveries: $n_delivered" \
    "delivered, $delivered_missing not in stripe_event"
verdict "$(ok "$dm_half" = 0 -a "$dm_lost" = 0 -a "$wraps_missing" = 0)" \
    "DMs: $dm_half neither sent nor queued for a retry with its error;" \
    "$dm_lost of the $dm_queued caravel-admin queued lost or doubled;" \
    "$wraps_missing of $n_sent sent gift wraps not on the DM relay"
verdict "$relay_half" "relays: $relay_half neither on zooid as synced nor" \
    "waiting to retry with a sync error"
verdict "$(ok "$paid_twice" = 0 -a "$two_subs" = 0 -a \
    "$guard_unsettled" = 0 -a "$settled_failed" = 0)" \
    "money: $paid_twice invoices paid twice over Lightning, $two_subs" \
    "customers with two live subscriptions, $guard_unsettled guards" \
    "'paid' without a settled payment, $settled_failed 'failed' with one"
verdict "$(ok "$subs_wrong" = 0 -a "$mirror_wrong" = 0 -a \
    "$subs_checked" -gt 0)" \
    "billing: $subs_wrong of $subs_checked active subscriptions not billing" \
    "exactly their tenant's active paid relays ($subs_marked more whose" \
    "tenant is marked for another look, not compared); $mirror_wrong of" \
    "the fake Stripe's $sinv invoices not mirrored in their status"
verdict "$(ok "$infra_failed" = "$infra_fail_rows" -a \
    "$infra_failed" = "$zwrites_failed")" \
    "caravel-infra: $infra_failed failed syncs counted by its passes," \
    "$infra_fail_rows recorded (fail_relay_sync), $zwrites_failed zooid" \
    "writes the fake failed"
verdict "$(ok "$integrity" = ok -a "$fk" = 0)" \
    "PRAGMA integrity_check: $integrity; foreign_key_check: $fk rows"
verdict "$nonzero" "worker passes: $(wc -l < "$B/passes") started," \
    "$nonzero exited non-zero"
echo
if [ "$failed" -gt 0 ]; then
	echo "$failed check(s) FAILED"
	exit 1
fi
echo "every check held"
exit 0
