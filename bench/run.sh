#!/bin/sh
# bench/run.sh: the API benchmark of spec/testing.md ("Benchmarks"). In one
# run, on this machine, with wrk against the real nginx on 127.0.0.1:
#
#   (a) nginx "return 200"            no FastCGI at all
#   (b) an empty FastCGI responder    bench/empty-fcgi.c, the baseline
#   (b') the same, answering as many bytes as (e) does (for reference)
#   (c) GET /plans                    public read
#   (d) GET /tenants/:pubkey          NIP-98 authenticated read
#   (e) GET /tenants/:pubkey/relays   authenticated read, 100 relays
#   (f) POST /relays                  a new relay (and SQLite commit) each
#   (g) POST /stripe/webhook          a signed invoice.updated event for an
#                                     existing tenant's invoice, each with
#                                     its own id (a write transaction each)
#
# and prints requests/s, p99 latency and each ratio to (b), the peak RSS
# (VmHWM) of the caravel-api processes afterwards, and whether the targets
# are met ((g): at least 0.25 of (b), p99 under 20 ms). (b) and the API run the same way: a parent that binds a unix
# socket and pre-forks BENCH_CHILDREN children, behind a copy of the
# project's own server directives (nginx/caravel-api.inc through
# scripts/nginx-local-conf.sh), so the two differ only in what answers.
# Nothing here is a test: the figures are recorded in bench/README.md.
#
# Usage: bench/run.sh [DURATION]   (from a built tree: make first, and
# npm ci --prefix tests/js for the NIP-98 keys). Settings, from the
# environment:
#   BENCH_DURATION     wrk -d per case (default 10s; the argument wins)
#   BENCH_ROUNDS       rounds of all cases (default 3); the figures are
#                      the median of the rounds, each round's req/s shown
#   BENCH_THREADS      wrk -t (default 2)
#   BENCH_CONNECTIONS  wrk -c (default 32)
#   BENCH_CHILDREN     children of caravel-api and empty-fcgi (default 4)
#   BENCH_MAX_REQUESTS caravel-api -m (default 0: children never recycled,
#                      so their VmHWM covers every case of the run)
#   BENCH_WEBHOOK_RATE signed events made per second of DURATION for each
#                      round's (g) (default 6000; more than (g) can take;
#                      at most 300,000 a round, about 3.5 kB each)
#   BENCH_PAGE_RELAYS  relays added after the rounds for the paging
#                      measurement (default 100000; 0 skips it): the
#                      first and the last page of 100 of GET /relays, and
#                      the whole list streamed, with the children's VmHWM
#                      before and after
#   BENCH_MIXED_REQUESTS mixed requests served by one child, started
#                      alone with -m 0 after the rest (default 1000000; 0
#                      skips it): its RssAnon after the first tenth and at
#                      the end
#   CARAVEL_API, CARAVEL_ADMIN, NGINX, WRK, CC: the programs to use
#   KEEP_TMP=1         keep the work directory (configs, logs, database)
#
# The NIP-98 headers are signed once at the start and the API accepts them
# for AUTH_MAX_AGE (an hour), so ROUNDS x 8 x DURATION (8 cases) is kept
# under 50 minutes, which leaves ten for the start and the events of (g).
# Those are made again before each round's (g) by bench/stripe-bench.mjs
# (signed with the npm package stripe, with STRIPE_WEBHOOK_SECRET), since
# a Stripe signature is accepted for 300 s only: DURATION is at most 4
# minutes. They are BENCH_WEBHOOK_RATE x DURATION events (default 6000 a
# second); wrk sends each once (bench/webhook.lua), and the report says if
# any was sent twice. The relays (f) makes are deleted after each round, so every
# round's (e) reads the same table. All traffic stays on 127.0.0.1. Every
# process started here is stopped by its pid on exit. Run it on an
# otherwise idle machine: the load average at the start is printed with
# the figures. top_builddir (default: this tree) names a separate build.

# shellcheck disable=SC2046,SC2086 # lists of pids are split on purpose

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
# Shared helpers: die, processes and cleanup, wait_for, hex32, sql.
. "$srcdir/bench/lib.sh"
builddir=${top_builddir:-$srcdir}
CARAVEL_API=${CARAVEL_API:-$builddir/caravel-api}
CARAVEL_ADMIN=${CARAVEL_ADMIN:-$builddir/caravel-admin}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK=${WRK:-wrk}
CC=${CC:-cc}

DURATION=${1:-${BENCH_DURATION:-10s}}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
CHILDREN=${BENCH_CHILDREN:-4}
MAXREQ=${BENCH_MAX_REQUESTS:-0}
ROUNDS=${BENCH_ROUNDS:-3}
HOOK_RATE=${BENCH_WEBHOOK_RATE:-6000}
PAGE_RELAYS=${BENCH_PAGE_RELAYS:-100000}
MIXED=${BENCH_MIXED_REQUESTS:-1000000}
NRELAYS=100
RELAY_DOMAIN=relays.example.com
# (g): tenants with a Stripe customer, each with HOOK_INVOICES paid
# invoices in the mirror; the events go to these invoices in turn.
HOOK_TENANTS=1000
HOOK_INVOICES=10

# Targets (the issue that asked for this benchmark): ratios to (b), p99 of
# the API's cases (c)-(f), and peak RSS of one serving process, 10 MB
# taken as 10 x 1024 kB, the unit of /proc/PID/status.
TARGET_PLANS=0.85
TARGET_AUTH=0.75
TARGET_P99_MS=10
TARGET_RSS_KB=10240
# (g), the Stripe webhook: its own ratio to (b) and p99.
TARGET_HOOK=0.25
TARGET_HOOK_P99_MS=20
# The issue "Speed, scale and one place per fact": GET /plans against
# (b); (e) against (b') and its p99; (f) against (b) and its p99; a
# child's RssAnon; the last page against the first (within 20 %); the
# mixed run's growth from its first tenth to its end (within 5 %).
TARGET_PLANS_FLOOR=1.3
TARGET_LIST=0.8
TARGET_LIST_P99_MS=8
TARGET_WRITE=0.4
TARGET_WRITE_P99_MS=10
TARGET_ANON_KB=3072
TARGET_PAGE=0.8
TARGET_MIXED_PCT=5

case $DURATION in
[1-9] | [1-9]*[0-9smh])
	case ${DURATION%?} in
	*[!0-9]*) die "DURATION must look like 10s, 2m or 30: $DURATION" ;;
	esac ;;
*) die "DURATION must look like 10s, 2m or 30: $DURATION" ;;
esac
for v in "$THREADS" "$CONNS" "$CHILDREN" "$MAXREQ" "$ROUNDS" "$HOOK_RATE" \
    "$PAGE_RELAYS" "$MIXED"; do
	case $v in
	'' | *[!0-9]*)
		die "BENCH_THREADS, BENCH_CONNECTIONS, BENCH_CHILDREN," \
		    "BENCH_MAX_REQUESTS, BENCH_ROUNDS, BENCH_WEBHOOK_RATE," \
		    "BENCH_PAGE_RELAYS and BENCH_MIXED_REQUESTS must be numbers" ;;
	esac
done
[ "$ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"
[ "$THREADS" -ge 1 ] || die "BENCH_THREADS must be at least 1"
[ "$HOOK_RATE" -ge 1 ] || die "BENCH_WEBHOOK_RATE must be at least 1"
case $DURATION in
*s) secs=${DURATION%s} ;;
*m) secs=$((${DURATION%m} * 60)) ;;
*h) secs=$((${DURATION%h} * 3600)) ;;
*) secs=$DURATION ;;
esac
[ $((ROUNDS * 8 * secs)) -le 3000 ] ||
	die "BENCH_ROUNDS x 8 x DURATION is over 50 minutes: the NIP-98" \
	    "headers would expire"
[ "$secs" -le 240 ] ||
	die "DURATION is over 4 minutes: the Stripe signatures of (g)" \
	    "would expire (300 s)"
# wrk holds a round's events in memory, about 3.5 kB each.
[ $((HOOK_RATE * secs)) -le 300000 ] ||
	die "BENCH_WEBHOOK_RATE x DURATION is over 300,000 events (1 GB" \
	    "in wrk): lower BENCH_WEBHOOK_RATE"

for b in "$CARAVEL_API" "$CARAVEL_ADMIN" "$NGINX"; do
	[ -x "$b" ] || die "$b is missing (make; scripts/caravel-local deps)"
done
for b in "$WRK" "$CC" curl jq sqlite3 node; do
	command -v "$b" > /dev/null 2>&1 ||
	    die "$b is missing (scripts/caravel-local deps installs it)"
done
for p in nostr-tools stripe; do
	[ -f "$srcdir/tests/js/node_modules/$p/package.json" ] ||
	    die "$p is missing: npm ci --prefix tests/js"
done

# pids of the live children of $1.
children()
{
	ps -o pid= --ppid "$1" 2> /dev/null | tr -d ' '
}

# A loopback port nobody listens on now (nginx retries on a bind race).
free_port()
{
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$((20000 + $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 12000))
		_h=$(printf '%04X' "$_p")
		if ! grep -q "^ *[0-9]*: [0-9A-F]*:$_h " /proc/net/tcp \
		    /proc/net/tcp6 2> /dev/null; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# nginx workers started by root run as "nobody" and must reach the sockets.
B=$(mktemp -d "${TMPDIR:-/tmp}/caravel-bench.XXXXXX") || die "mktemp failed"
chmod 0755 "$B"
mkdir -p "$B/run" "$B/nginx/tmp"
chmod 0755 "$B/run" "$B/nginx" "$B/nginx/tmp"

# --- the empty responder ---

"$CC" -std=c11 -O2 -o "$B/empty-fcgi" "$srcdir/bench/empty-fcgi.c" -lfcgi ||
	die "cannot compile bench/empty-fcgi.c (libfcgi-dev)"
"$B/empty-fcgi" "$B/run/empty.sock" "$CHILDREN" < /dev/null \
    > "$B/empty.log" 2>&1 &
empty_pid=$!
pids="$pids $empty_pid"
wait_for 100 test -S "$B/run/empty.sock" || die "empty-fcgi did not start"

# --- caravel-api on a fresh database ---

DB=$B/caravel.db
ENV_FILE=$B/caravel.env
HOOK_SECRET=whsec_bench$(hex32)
# The admin of the paging measurement (GET /relays is for admins).
ADMIN_SK=$(hex32)
ADMIN_PK=$(node --input-type=module -e '
	import { createRequire } from "node:module";
	const require = createRequire(process.argv[1] + "/package.json");
	const { getPublicKey } = require("nostr-tools/pure");
	console.log(getPublicKey(Buffer.from(process.argv[2], "hex")));
' "$srcdir/tests/js" "$ADMIN_SK") || die "node could not make the admin key"
{
	echo "ADMINS=$ADMIN_PK"
	echo "DATABASE_URL=sqlite://$DB"
	echo "HOST=127.0.0.1"
	echo "ENCRYPTION_SECRET=$(hex32)"
	echo "ROBOT_SECRET=$(hex32)"
	echo "RELAY_DOMAIN=$RELAY_DOMAIN"
	echo "STRIPE_WEBHOOK_SECRET=$HOOK_SECRET"
} > "$ENV_FILE"
"$CARAVEL_ADMIN" --env-file "$ENV_FILE" migrate > "$B/admin.log" 2>&1 ||
	die "caravel-admin migrate failed: $(cat "$B/admin.log")"
env -i PATH="$PATH" "$CARAVEL_API" --env-file "$ENV_FILE" \
    -s "$B/run/api.sock" --socket-mode 0666 -c "$CHILDREN" -m "$MAXREQ" \
    < /dev/null > "$B/api.log" 2>&1 &
api_pid=$!
pids="$pids $api_pid"
wait_for 100 test -S "$B/run/api.sock" || die "caravel-api did not start"

# --- nginx: the project's config plus the baseline server ---

# The baseline server is the project's own server block again (same
# FastCGI parameters, buffers and error pages) on its own port, passing
# to the empty responder, with one more location for case (a).
printf '@SITE@\n' > "$B/site-only.in"
nginx_up()
{
	alive "$nginx_pid" &&
	    curl -q -s --noproxy '*' --max-time 2 -o /dev/null \
	    "http://127.0.0.1:$PORT_BASE/nginx-return-200"
}
nginx_pid=
for _ in 1 2 3 4 5; do
	PORT_API=$(free_port) || die "no free port"
	PORT_BASE=$(free_port) || die "no free port"
	[ "$PORT_API" != "$PORT_BASE" ] || continue
	sh "$srcdir/scripts/nginx-local-conf.sh" "$B/nginx" "$PORT_BASE" \
	    "$B/run/empty.sock" "" "$B/site-only.in" |
	    awk '/^[ \t]*location \/ \{/ && !done {
		print "\t\tlocation = /nginx-return-200 {"
		print "\t\t\tdefault_type \"application/json; charset=utf-8\";"
		print "\t\t\treturn 200 \"{\\\"data\\\":null,\\\"code\\\":\\\"ok\\\"}\\n\";"
		print "\t\t}"
		print ""
		done = 1
	    }
	    { print }' > "$B/baseline.conf" || die "nginx-local-conf.sh failed"
	grep -q nginx-return-200 "$B/baseline.conf" ||
		die "no 'location /' in the site config to put case (a) beside"
	awk -v extra="$B/baseline.conf" '{ print }
	    $0 == "@SITE@" { while ((getline l < extra) > 0) print l }' \
	    "$srcdir/nginx/caravel-local.conf.in" > "$B/template.in"
	sh "$srcdir/scripts/nginx-local-conf.sh" "$B/nginx" "$PORT_API" \
	    "$B/run/api.sock" "" "$B/template.in" > "$B/nginx/nginx.conf" ||
	    die "nginx-local-conf.sh failed"
	"$NGINX" -p "$B/nginx/" -c "$B/nginx/nginx.conf" \
	    -e "$B/nginx/error.log" < /dev/null > "$B/nginx/stdout.log" 2>&1 &
	nginx_pid=$!
	if wait_for 100 nginx_up; then
		break
	fi
	stop "$nginx_pid"
	nginx_pid=
	grep -q 'Address already in use' "$B/nginx/error.log" 2> /dev/null ||
	    die "nginx did not start: $(tail -n 5 "$B/nginx/error.log")"
done
[ -n "$nginx_pid" ] || die "nginx found no free port"
pids="$nginx_pid $pids"
API=http://127.0.0.1:$PORT_API
BASEURL=http://127.0.0.1:$PORT_BASE

# --- keys, NIP-98 headers and the seeded database ---

# Tenant A owns the 100 relays of (e); tenant B makes the relays of (f).
# Each header is signed by nostr-tools for its own URL and method.
node --input-type=module -e '
	import { createRequire } from "node:module";
	const require = createRequire(process.argv[1] + "/package.json");
	const { generateSecretKey, getPublicKey, finalizeEvent } =
	    require("nostr-tools/pure");
	const api = process.argv[2];
	const hdr = (sk, method, url) => "Nostr " + Buffer.from(JSON.stringify(
	    finalizeEvent({ kind: 27235, created_at: Math.floor(Date.now() / 1000),
	    tags: [["u", url], ["method", method]], content: "" }, sk)))
	    .toString("base64");
	const a = generateSecretKey(), b = generateSecretKey();
	const pa = getPublicKey(a), pb = getPublicKey(b);
	const adm = Buffer.from(process.argv[3], "hex");
	console.log(JSON.stringify({ pa, pb,
	    first_page: hdr(adm, "GET", `${api}/relays?limit=100`),
	    last_page: hdr(adm, "GET",
	        `${api}/relays?limit=100&after=${process.argv[4]}`),
	    all_relays: hdr(adm, "GET", `${api}/relays`),
	    tenant: hdr(a, "GET", `${api}/tenants/${pa}`),
	    relays: hdr(a, "GET", `${api}/tenants/${pa}/relays`),
	    create_a: hdr(a, "POST", `${api}/relays`),
	    create_b: hdr(b, "POST", `${api}/relays`) }));
' "$srcdir/tests/js" "$API" "$ADMIN_SK" "$(printf '%032x' $((PAGE_RELAYS + 1000000 - 100)))" \
    > "$B/keys.json" || die "node could not make keys"
PK_A=$(jq -r .pa "$B/keys.json")
PK_B=$(jq -r .pb "$B/keys.json")
H_TENANT="Authorization: $(jq -r .tenant "$B/keys.json")"
H_RELAYS="Authorization: $(jq -r .relays "$B/keys.json")"
H_CREATE_A="Authorization: $(jq -r .create_a "$B/keys.json")"
H_CREATE_B="Authorization: $(jq -r .create_b "$B/keys.json")"

sql "INSERT INTO tenant (pubkey, created_at) VALUES
    ('$PK_A', strftime('%s', 'now')), ('$PK_B', strftime('%s', 'now'));" ||
	die "cannot seed the tenants"

# check_call METHOD URL EXPECTED [CURL-ARG...]: one request that must
# answer EXPECTED, or the benchmark would measure error paths.
check_call()
{
	_m=$1
	_u=$2
	_e=$3
	shift 3
	_code=$(curl -q -s --noproxy '*' --max-time 10 -o "$B/call.body" \
	    -w '%{http_code}' -X "$_m" "$@" "$_u" 2> /dev/null)
	[ "$_code" = "$_e" ] ||
	    die "$_m $_u answered $_code, not $_e: $(head -c 300 "$B/call.body")"
}

# The first relay of tenant A through the API, so the other 99 can carry
# a real sealed secret; they are then copied in by SQL.
check_call POST "$API/relays" 201 -H "$H_CREATE_A" \
    -H 'Content-Type: application/json' \
    --data '{"subdomain":"bench-1","plan":"free","info_name":"Bench relay 1"}'
sql "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n
        WHERE i < $NRELAYS)
    INSERT INTO relay (id, tenant, subdomain, schema, plan, status,
        secret_sealed, info_name, info_icon, info_description,
        policy_public_join, groups_enabled, created_at, updated_at)
    SELECT printf('%032x', i), '$PK_A', 'bench-' || i,
        'bench_' || i || '_' || substr(printf('%032x', i), 1, 8),
        CASE i % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'basic' ELSE 'growth' END,
        'active',
        (SELECT secret_sealed FROM relay WHERE subdomain = 'bench-1'),
        'Bench relay ' || i, 'https://example.com/icon-' || i || '.png',
        'A relay seeded by bench/run.sh for GET /tenants/:pubkey/relays.',
        i % 2, (i + 1) % 2,
        strftime('%s', 'now') - i, strftime('%s', 'now') - i
    FROM n;" || die "cannot seed the relays"

check_call GET "$BASEURL/nginx-return-200" 200
check_call GET "$BASEURL/" 200
check_call GET "$API/plans" 200
check_call GET "$API/tenants/$PK_A" 200 -H "$H_TENANT"
check_call GET "$API/tenants/$PK_A/relays" 200 -H "$H_RELAYS"
n=$(jq '.data | length' "$B/call.body")
[ "$n" = "$NRELAYS" ] || die "GET /tenants/:pubkey/relays lists $n relays"
relays_bytes=$(wc -c < "$B/call.body")
check_call GET "$BASEURL/?bytes=$relays_bytes" 200
n=$(wc -c < "$B/call.body")
[ "$n" = "$relays_bytes" ] ||
	die "empty-fcgi answered $n bytes, not $relays_bytes"
before_f=$(sql "SELECT count(*) FROM relay")

# (g): HOOK_TENANTS tenants with a Stripe customer and subscription, each
# with HOOK_INVOICES paid invoices in the mirror (a month apart). The
# events name these invoices in a shuffled order, fixed for the run.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
        WHERE i < $HOOK_TENANTS)
    INSERT INTO tenant (pubkey, created_at, stripe_customer_id,
        stripe_subscription_id, subscription_status, billing_reconciled_at)
    SELECT lower(hex(randomblob(32))), strftime('%s', 'now') - 86400 * 400 + i,
        printf('cus_bench%07d', i), printf('sub_bench%07d', i), 'active',
        strftime('%s', 'now')
    FROM n;
    WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m
        WHERE k < $HOOK_INVOICES),
    t AS (SELECT pubkey, substr(stripe_customer_id, 10) AS n,
        stripe_subscription_id AS sub,
        strftime('%s', 'now') - 86400 * 30 * ($HOOK_INVOICES + 1) AS t0
        FROM tenant WHERE stripe_customer_id GLOB 'cus_bench*')
    INSERT INTO invoice (id, tenant, status, currency, amount_due,
        amount_paid, period_start, period_end, created_at, paid_at, paid_via,
        hosted_invoice_url, subscription_id, attempt_count, billing_reason,
        updated_at)
    SELECT 'in_bench' || n || printf('%02d', k), pubkey, 'paid', 'usd', 3000,
        3000, t0 + 86400 * 30 * k, t0 + 86400 * 30 * (k + 1),
        t0 + 86400 * 30 * k, t0 + 86400 * 30 * k + 60, 'stripe',
        'https://invoice.stripe.com/i/acct_bench/test_' || n || k, sub, 1,
        'subscription_cycle', t0 + 86400 * 30 * k + 60
    FROM t, m;" || die "cannot seed the tenants and invoices of (g)"
sql -separator '|' "SELECT i.id, t.stripe_customer_id, i.subscription_id,
        i.amount_due, i.created_at, i.period_start, i.period_end, i.paid_at
    FROM invoice i JOIN tenant t ON t.pubkey = i.tenant
    WHERE i.id GLOB 'in_bench*' ORDER BY random();" > "$B/invoices.txt" ||
	die "cannot list the invoices of (g)"
n=$(wc -l < "$B/invoices.txt")
[ "$n" = $((HOOK_TENANTS * HOOK_INVOICES)) ] ||
	die "(g) has $n invoices, not $((HOOK_TENANTS * HOOK_INVOICES))"

# hook_events PREFIX COUNT EVT_PREFIX: COUNT signed events, as whole
# requests in PREFIX.0 ... PREFIX.(THREADS - 1); prints "COUNT BYTES",
# BYTES the median body.
hook_events()
{
	env STRIPE_WEBHOOK_SECRET="$HOOK_SECRET" node \
	    "$srcdir/bench/stripe-bench.mjs" webhook-requests "$1" "$THREADS" \
	    "$2" "127.0.0.1:$PORT_API" "$3" < "$B/invoices.txt" ||
	    die "bench/stripe-bench.mjs could not make the events of (g)"
}

# One event through curl first: it must be applied, not taken for a
# repeat, and change the invoice it names.
hook_sig=$(env STRIPE_WEBHOOK_SECRET="$HOOK_SECRET" node \
    "$srcdir/bench/stripe-bench.mjs" webhook-one "$B/hook.json" "chk$$" \
    < "$B/invoices.txt") || die "bench/stripe-bench.mjs could not sign an event"
check_call POST "$API/stripe/webhook" 200 -H "Stripe-Signature: $hook_sig" \
    -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary "@$B/hook.json"
[ "$(jq -c '[.data.received, .data.duplicate]' "$B/call.body")" = \
    '[true,null]' ] ||
	die "POST /stripe/webhook did not apply the event: $(cat "$B/call.body")"
hook_id=$(jq -r .id "$B/hook.json")
hook_inv=$(jq -r .data.object.id "$B/hook.json")
n=$(sql "SELECT count(*) FROM stripe_event WHERE id = '$hook_id'
    AND effect GLOB 'invoice $hook_inv is paid*'")
[ "$n" = 1 ] || die "the event $hook_id was not recorded as applied:" \
    "$(sql "SELECT effect FROM stripe_event WHERE id = '$hook_id'")"
check_call POST "$API/stripe/webhook" 200 -H "Stripe-Signature: $hook_sig" \
    -H 'Content-Type: application/json; charset=utf-8' \
    --data-binary "@$B/hook.json"
[ "$(jq -c .data.duplicate "$B/call.body")" = true ] ||
	die "a repeated event was not answered as one: $(cat "$B/call.body")"
hook_bytes=$(wc -c < "$B/hook.json")

# --- the runs ---

# max_status FIELD PID...: the largest FIELD (kB) of /proc/PID/status.
max_status()
{
	_f=$1
	shift
	for _p in "$@"; do
		awk -v f="$_f:" '$1 == f { print $2 }' "/proc/$_p/status" \
		    2> /dev/null
	done | sort -n | tail -n 1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
api_kids_before=$(children "$api_pid" | sort | tr '\n' ' ')
rss_start=$(max_status VmHWM $api_kids_before)

# to_ms VALUE: wrk's "850.00us", "1.23ms", "1.02s" or "1.50m" in ms.
to_ms()
{
	echo "$1" | awk '{
		v = $1 + 0
		if ($1 ~ /us$/) v /= 1000
		else if ($1 ~ /ms$/) v = v
		else if ($1 ~ /s$/) v *= 1000
		else if ($1 ~ /m$/) v *= 60000
		printf "%.2f", v
	}'
}

# cpu_ticks PID...: user + system CPU time of the processes, in ticks.
cpu_ticks()
{
	for _p in "$@"; do
		sed 's/^.*) //' "/proc/$_p/stat" 2> /dev/null
	done | awk '{ t += $12 + $13 } END { print t + 0 }'
}
TICK=$(getconf CLK_TCK)

# The processes that serve: the FastCGI children (of caravel-api and of
# empty-fcgi; only one of them works in a case) and nginx's worker.
app_ticks()
{
	cpu_ticks $(children "$api_pid") $(children "$empty_pid")
}
nginx_ticks()
{
	cpu_ticks $(children "$nginx_pid")
}
# machine_ticks: the busy and the total CPU time of the whole machine (all
# CPUs: wrk, nginx, the children, the kernel), in ticks (proc(5): user,
# nice, system, irq, softirq and steal are busy; idle and iowait not).
machine_ticks()
{
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9,
	    $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}

# run KEY LABEL URL [WRK-ARG...]: one wrk run of round $round; the
# figures go to $B/KEY.ROUND.res as
# LABEL|REQ/S|P99-MS|NON-2XX|SOCKET-ERRORS|APP-US|NGINX-US|ALL-US|BUSY, the
# CPU time per request of the FastCGI side, of nginx and of the whole
# machine, and the share of the machine's CPU time that was busy.
run()
{
	_k=$1.$round
	_l=$2
	_u=$3
	shift 3
	echo "bench: round $round/$ROUNDS: $_l" >&2
	_a0=$(app_ticks)
	_n0=$(nginx_ticks)
	_m0=$(machine_ticks)
	"$WRK" -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$_u" \
	    > "$B/$_k.wrk" 2>&1 || die "wrk failed for $_l: $(cat "$B/$_k.wrk")"
	_a1=$(app_ticks)
	_n1=$(nginx_ticks)
	_m1=$(machine_ticks)
	_req=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$B/$_k.wrk")
	_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$B/$_k.wrk")
	_p99=$(awk '$1 == "99%" { print $2 }' "$B/$_k.wrk")
	_bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$B/$_k.wrk")
	_sock=$(awk '/Socket errors:/ { s = 0
	    for (i = 4; i <= NF; i += 2) { x = $i; sub(/,/, "", x); s += x }
	    print s }' "$B/$_k.wrk")
	[ -n "$_rps" ] && [ -n "$_p99" ] && [ "${_req:-0}" -gt 0 ] ||
	    die "cannot read wrk's output for $_l: $(cat "$B/$_k.wrk")"
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$_l" "$_rps" "$(to_ms "$_p99")" \
	    "${_bad:-0}" "${_sock:-0}" \
	    "$(awk -v t=$((_a1 - _a0)) -v hz="$TICK" -v n="$_req" \
	    'BEGIN { printf "%.0f", t / hz * 1e6 / n }')" \
	    "$(awk -v t=$((_n1 - _n0)) -v hz="$TICK" -v n="$_req" \
	    'BEGIN { printf "%.0f", t / hz * 1e6 / n }')" \
	    "$(echo "$_m0 $_m1" | awk -v hz="$TICK" -v n="$_req" \
	    '{ printf "%.0f|%.0f", ($3 - $1) / hz * 1e6 / n,
	    ($4 - $2 > 0 ? ($3 - $1) * 100 / ($4 - $2) : 0) }')" \
	    > "$B/$_k.res"
}

CASES="a b b2 c d e f g"
created=
hook_made=
hook_applied=
hook_repeated=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	run a "(a) nginx return 200" "$BASEURL/nginx-return-200"
	run b "(b) empty FastCGI responder" "$BASEURL/"
	run b2 "(b') empty responder, $relays_bytes B body" \
	    "$BASEURL/?bytes=$relays_bytes"
	run c "(c) GET /plans" "$API/plans"
	run d "(d) GET /tenants/:pubkey (auth)" "$API/tenants/$PK_A" \
	    -H "$H_TENANT"
	run e "(e) GET /tenants/:pubkey/relays (auth)" \
	    "$API/tenants/$PK_A/relays" -H "$H_RELAYS"
	BENCH_SUBDOMAIN_PREFIX=w$$r$round
	export BENCH_SUBDOMAIN_PREFIX
	run f "(f) POST /relays (auth)" "$API/relays" -H "$H_CREATE_B" \
	    -s "$srcdir/bench/post-relays.lua"
	n=$(($(sql "SELECT count(*) FROM relay") - before_f))
	created="$created${created:+, }$n"
	sql "DELETE FROM activity WHERE tenant = '$PK_B';
	    DELETE FROM relay WHERE tenant = '$PK_B';" ||
		die "cannot delete the relays of (f)"
	# (g): this round's events, signed now (valid for 300 s).
	rm -f "$B"/events.*
	set -- $(hook_events "$B/events" $((HOOK_RATE * secs)) "b$$r$round")
	[ "$#" = 2 ] || die "bench/stripe-bench.mjs printed no count"
	hook_made="$hook_made${hook_made:+, }$1"
	BENCH_WEBHOOK_EVENTS=$B/events
	export BENCH_WEBHOOK_EVENTS
	n0=$(sql "SELECT count(*) FROM stripe_event")
	run g "(g) POST /stripe/webhook" "$API/stripe/webhook" \
	    -s "$srcdir/bench/webhook.lua"
	n=$(($(sql "SELECT count(*) FROM stripe_event") - n0))
	hook_applied="$hook_applied${hook_applied:+, }$n"
	set -- $(sed -n 's/^webhook events: \([0-9]*\) sent of \([0-9]*\) made, \([0-9]*\) repeated$/\1 \2 \3/p' \
	    "$B/g.$round.wrk")
	[ "$#" = 3 ] || die "(g): bench/webhook.lua printed no count"
	hook_repeated=$((hook_repeated + $3))
	rm -f "$B"/events.*
	round=$((round + 1))
done

# The median of each figure over the rounds (the errors: their sum) goes
# to $B/KEY.res in the same format; $B/KEY.rounds lists each round's req/s.
# median FORMAT: of the numbers on stdin, printed with FORMAT.
median()
{
	sort -n | awk -v fmt="$1" '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf fmt "\n", m }'
}
sum()
{
	awk '{ s += $1 } END { print s + 0 }'
}
# rounds KEY FIELD: that field of every round of case KEY, one a line.
rounds()
{
	cat "$B/$1".*.res | cut -d'|' -f"$2"
}
for k in $CASES; do
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$(rounds "$k" 1 | head -n 1)" \
	    "$(rounds "$k" 2 | median %.2f)" \
	    "$(rounds "$k" 3 | median %.2f)" \
	    "$(rounds "$k" 4 | sum)" "$(rounds "$k" 5 | sum)" \
	    "$(rounds "$k" 6 | median %.0f)" \
	    "$(rounds "$k" 7 | median %.0f)" \
	    "$(rounds "$k" 8 | median %.0f)" \
	    "$(rounds "$k" 9 | median %.0f)" > "$B/$k.res"
	rounds "$k" 2 | awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }
	    END { print "" }' > "$B/$k.rounds"
done
api_kids_after=$(children "$api_pid" | sort | tr '\n' ' ')
rss_api=$(max_status VmHWM $api_kids_after)
anon_api=$(max_status RssAnon $api_kids_after)
rss_parent=$(max_status VmHWM "$api_pid")
anon_parent=$(max_status RssAnon "$api_pid")
rss_empty=$(max_status VmHWM $(children "$empty_pid"))

# --- paging over PAGE_RELAYS more relays, and the whole list ---

# A third tenant's relays, older than every other (created in 2001), so
# the last page of 100 in the admin list (newest first) is theirs and
# starts after relay PAGE_RELAYS - 100, whose id the keys were signed for.
page_report=
if [ "$PAGE_RELAYS" -gt 0 ]; then
	pk_c=$(printf '%064x' 12648430)
	sql "INSERT INTO tenant (pubkey, created_at) VALUES ('$pk_c', 1);
	    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	        WHERE i < $PAGE_RELAYS)
	    INSERT INTO relay (id, tenant, subdomain, schema, plan, status,
	        secret_sealed, info_name, info_icon, info_description,
	        created_at, updated_at)
	    SELECT printf('%032x', 1000000 + i), '$pk_c', 'page-' || i,
	        'page_' || i, 'free', 'active',
	        (SELECT secret_sealed FROM relay WHERE subdomain = 'bench-1'),
	        'Paged relay ' || i, 'https://example.com/icon-' || i || '.png',
	        'A relay seeded by bench/run.sh for the paging measurement.',
	        1000000000 + $PAGE_RELAYS - i, 1000000000 + $PAGE_RELAYS - i
	    FROM n;" || die "cannot seed the relays to page through"
	last_after=$(printf '%032x' $((PAGE_RELAYS + 1000000 - 100)))
	H_FIRST="Authorization: $(jq -r .first_page "$B/keys.json")"
	H_LAST="Authorization: $(jq -r .last_page "$B/keys.json")"
	H_ALL="Authorization: $(jq -r .all_relays "$B/keys.json")"
	check_call GET "$API/relays?limit=100" 200 -H "$H_FIRST"
	[ "$(jq '.data | length' "$B/call.body")" = 100 ] ||
		die "the first page does not list 100 relays"
	check_call GET "$API/relays?limit=100&after=$last_after" 200 \
	    -H "$H_LAST"
	[ "$(jq -r '.data[99].id' "$B/call.body")" = \
	    "$(printf '%032x' $((PAGE_RELAYS + 1000000)))" ] ||
		die "the last page does not end with the oldest relay"
	round=1
	run p1 "(p) GET /relays?limit=100, first page" \
	    "$API/relays?limit=100" -H "$H_FIRST"
	run p2 "(p') the same, last page" \
	    "$API/relays?limit=100&after=$last_after" -H "$H_LAST"
	kids=$(children "$api_pid")
	hwm0=$(max_status VmHWM $kids)
	check_call GET "$API/relays" 200 -H "$H_ALL"
	all_bytes=$(wc -c < "$B/call.body")
	all_n=$(jq '.data | length' "$B/call.body")
	hwm1=$(max_status VmHWM $kids)
	page_report=$(
	    IFS='|' read -r l1 r1 p1 bad1 sock1 app1 ngx1 all1 busy1 \
		< "$B/p1.1.res"
	    IFS='|' read -r l2 r2 p2 bad2 sock2 app2 ngx2 all2 busy2 \
		< "$B/p2.1.res"
	    echo "paging, with $PAGE_RELAYS more relays ($((PAGE_RELAYS +
	        NRELAYS)) or more in all), one run each:"
	    printf '  %-38s %7.0f req/s, p99 %s ms, app %s us\n' "$l1" "$r1" \
	        "$p1" "$app1"
	    printf '  %-38s %7.0f req/s, p99 %s ms, app %s us\n' "$l2" "$r2" \
	        "$p2" "$app2"
	    echo "  last page against the first: $(awk -v x="$r2" -v y="$r1" \
	        'BEGIN { printf "%.2f", x / y }') of its req/s"
	    echo "  the whole list: $all_n relays, $all_bytes bytes in one" \
	        "answer; children's VmHWM $hwm0 kB before, $hwm1 kB after")
fi

# --- one child, BENCH_MIXED_REQUESTS mixed requests ---

mixed_report=
if [ "$MIXED" -gt 0 ]; then
	stop "$api_pid"
	env -i PATH="$PATH" "$CARAVEL_API" --env-file "$ENV_FILE" \
	    -s "$B/run/api.sock" --socket-mode 0666 -c 1 -m 0 \
	    < /dev/null >> "$B/api.log" 2>&1 &
	api_pid=$!
	pids="$pids $api_pid"
	has_child() { [ -n "$(children "$api_pid")" ]; }
	wait_for 100 has_child || die "caravel-api -c 1 did not start"
	sleep 0.5
	kid=$(children "$api_pid")
	tab=$(printf '\t')
	{
		echo "GET${tab}/plans${tab}-"
		echo "GET${tab}/tenants/$PK_A${tab}$(jq -r .tenant "$B/keys.json")"
		echo "GET${tab}/tenants/$PK_A/relays${tab}$(jq -r .relays "$B/keys.json")"
		[ "$PAGE_RELAYS" -gt 0 ] &&
			echo "GET${tab}/relays?limit=100${tab}$(jq -r .first_page "$B/keys.json")"
		echo "GET${tab}/tenants/$PK_B${tab}$(jq -r .tenant "$B/keys.json")"
		echo "GET${tab}/no-such-route${tab}-"
		echo "GET${tab}/plans/free${tab}-"
	} > "$B/mixed.txt"
	BENCH_MIXED_FILE=$B/mixed.txt
	export BENCH_MIXED_FILE
	served=0
	anon_tenth=
	served_tenth=
	echo "bench: $MIXED mixed requests on one child" >&2
	while [ "$served" -lt "$MIXED" ]; do
		"$WRK" -t"$THREADS" -c"$CONNS" -d10s -s "$srcdir/bench/mixed.lua" \
		    "$API/" > "$B/mixed.wrk" 2>&1 ||
			die "wrk failed for the mixed run: $(cat "$B/mixed.wrk")"
		n=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$B/mixed.wrk")
		[ "${n:-0}" -gt 0 ] || die "cannot read wrk's output: $(cat "$B/mixed.wrk")"
		served=$((served + n))
		if [ -z "$anon_tenth" ] && [ "$served" -ge $((MIXED / 10)) ]; then
			anon_tenth=$(max_status RssAnon "$kid")
			served_tenth=$served
		fi
	done
	alive "$kid" || die "the child of the mixed run was replaced"
	anon_end=$(max_status RssAnon "$kid")
	mixed_report="one child (caravel-api -c 1 -m 0), mixed requests in turn ($(wc -l < "$B/mixed.txt") kinds, bench/mixed.lua):
  RssAnon $anon_tenth kB after $served_tenth requests, $anon_end kB after $served: $(awk \
	    -v x="$anon_end" -v y="$anon_tenth" 'BEGIN { printf "%+.1f", (x - y) * 100 / y }') %"
fi

# --- the report ---

field()
{
	cut -d'|' -f"$2" "$B/$1.res"
}
# ratio K1 K2 [DIGITS]: req/s of K1 over K2's. A target is judged on
# three digits, so that 0.2466 is not taken for 0.25.
ratio()
{
	awk -v x="$(field "$1" 2)" -v y="$(field "$2" 2)" -v d="${3:-2}" \
	    'BEGIN { printf "%." d "f", x / y }'
}

echo "Caravel API benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
    "load average before the runs $load_before"
echo "tools: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')," \
    "$("$CC" --version | head -n 1)," \
    "wrk $("$WRK" -v 2>&1 | awk 'NR == 1 { print $2 }')," \
    "sqlite $(sqlite3 --version | awk '{ print $1 }')"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, $ROUNDS round(s) of" \
    "every case, all on 127.0.0.1;" \
    "nginx: the project's config, 1 worker, access log on;"
echo "caravel-api -c $CHILDREN -m $MAXREQ and empty-fcgi with $CHILDREN" \
    "children, each on a unix socket;"
echo "(e) lists $NRELAYS relays ($relays_bytes bytes of JSON);" \
    "(f) created $created relays (deleted after each round)."
echo "(g) signed invoice.updated events ($hook_bytes-byte bodies) for" \
    "$((HOOK_TENANTS * HOOK_INVOICES)) paid invoices of $HOOK_TENANTS tenants;" \
    "made per round: $hook_made;"
echo "    applied per round (new stripe_event rows): $hook_applied;" \
    "sent twice: $hook_repeated."
echo "Medians of $ROUNDS round(s); app us, ngx us: CPU time per request of"
echo "the FastCGI children and of nginx's worker (/proc/PID/stat, $TICK Hz);"
echo "all us: of the whole machine (wrk and the kernel too), busy: the share"
echo "of the machine's $(nproc) CPUs that was busy (/proc/stat)."
echo
printf '%-40s %7s %7s %6s %6s %6s %6s %4s %s\n' case "req/s" "p99 ms" \
    "vs (b)" "app us" "ngx us" "all us" busy errors
for k in $CASES; do
	IFS='|' read -r l rps p99 bad sock app ngx all busy < "$B/$k.res"
	err=
	[ "$bad" != 0 ] && err="$bad non-2xx"
	[ "$sock" != 0 ] && err="$err $sock socket errors"
	printf '%-40s %7.0f %7s %6s %6s %6s %6s %3s%% %s\n' "$l" "$rps" \
	    "$p99" "$(ratio "$k" b)" "$app" "$ngx" "$all" "$busy" "$err"
done
echo
echo "req/s of each round:"
for k in $CASES; do
	printf '  %-38s %s\n' "$(field "$k" 1)" "$(cat "$B/$k.rounds")"
done
echo
echo "(e) against (b'), the same number of bytes: $(ratio e b2)"
echo "peak RSS (VmHWM): caravel-api child $rss_api kB after the runs" \
    "($rss_start kB after the first requests; RssAnon $anon_api kB);"
echo "    caravel-api parent $rss_parent kB (RssAnon $anon_parent kB;" \
    "it serves no request); empty-fcgi child $rss_empty kB"
[ -n "$page_report" ] && echo "$page_report"
[ -n "$mixed_report" ] && echo "$mixed_report"
if [ "$api_kids_before" != "$api_kids_after" ]; then
	echo "NOTE: caravel-api children changed during the run" \
	    "(before: $api_kids_before; after: $api_kids_after)"
fi
echo

# verdict DESC 1|0: one line per target.
missed=0
verdict()
{
	if [ "$2" = 1 ]; then
		echo "target met:    $1"
	else
		echo "target MISSED: $1"
		missed=$((missed + 1))
	fi
}
cmp()
{
	awk -v x="$1" -v y="$3" "BEGIN { print (x + 0 $2 y + 0) ? 1 : 0 }"
}
r=$(ratio c b 3)
verdict "GET /plans at >= $TARGET_PLANS x (b): $r" \
    "$(cmp "$r" '>=' "$TARGET_PLANS")"
for k in d e; do
	r=$(ratio "$k" b 3)
	verdict "$(field "$k" 1) at >= $TARGET_AUTH x (b): $r" \
	    "$(cmp "$r" '>=' "$TARGET_AUTH")"
done
for k in c d e f; do
	verdict "$(field "$k" 1) p99 < $TARGET_P99_MS ms: $(field "$k" 3) ms" \
	    "$(cmp "$(field "$k" 3)" '<' "$TARGET_P99_MS")"
done
verdict "peak RSS of one serving API process < $TARGET_RSS_KB kB: $rss_api kB" \
    "$(cmp "$rss_api" '<' "$TARGET_RSS_KB")"
r=$(ratio g b 3)
verdict "$(field g 1) at >= $TARGET_HOOK x (b): $r" \
    "$(cmp "$r" '>=' "$TARGET_HOOK")"
verdict "$(field g 1) p99 < $TARGET_HOOK_P99_MS ms: $(field g 3) ms" \
    "$(cmp "$(field g 3)" '<' "$TARGET_HOOK_P99_MS")"
r=$(ratio c b 3)
verdict "GET /plans at >= $TARGET_PLANS_FLOOR x (b): $r" \
    "$(cmp "$r" '>=' "$TARGET_PLANS_FLOOR")"
r=$(ratio e b2 3)
verdict "(e) at >= $TARGET_LIST x (b'): $r" "$(cmp "$r" '>=' "$TARGET_LIST")"
verdict "(e) p99 < $TARGET_LIST_P99_MS ms: $(field e 3) ms" \
    "$(cmp "$(field e 3)" '<' "$TARGET_LIST_P99_MS")"
r=$(ratio f b 3)
verdict "(f) at >= $TARGET_WRITE x (b): $r" "$(cmp "$r" '>=' "$TARGET_WRITE")"
verdict "(f) p99 < $TARGET_WRITE_P99_MS ms: $(field f 3) ms" \
    "$(cmp "$(field f 3)" '<' "$TARGET_WRITE_P99_MS")"
verdict "RssAnon of a serving child < $TARGET_ANON_KB kB: $anon_api kB" \
    "$(cmp "$anon_api" '<' "$TARGET_ANON_KB")"
if [ "$PAGE_RELAYS" -gt 0 ]; then
	r=$(awk -v x="$(cut -d'|' -f2 "$B/p2.1.res")" \
	    -v y="$(cut -d'|' -f2 "$B/p1.1.res")" \
	    'BEGIN { x /= y; printf "%.3f", x < 1 ? x : 1 / x }')
	verdict "first and last page of 100 within 20 % (slower / faster): $r" \
	    "$(cmp "$r" '>=' "$TARGET_PAGE")"
fi
if [ "$MIXED" -gt 0 ]; then
	r=$(awk -v x="$anon_end" -v y="$anon_tenth" \
	    'BEGIN { d = (x - y) * 100 / y; printf "%.1f", d < 0 ? -d : d }')
	verdict "RssAnon after $served mixed requests within $TARGET_MIXED_PCT % of its size after $served_tenth: $r %" \
	    "$(cmp "$r" '<=' "$TARGET_MIXED_PCT")"
fi
for k in $CASES; do
	IFS='|' read -r l rps p99 bad sock _ < "$B/$k.res"
	if [ "$bad" != 0 ] || [ "$sock" != 0 ]; then
		echo "WARNING: $l: $bad non-2xx responses, $sock socket errors"
	fi
done
if [ "$hook_repeated" != 0 ]; then
	echo "WARNING: (g) ran out of events and sent $hook_repeated twice" \
	    "(answered as duplicates): raise BENCH_WEBHOOK_RATE"
fi
echo "$missed target(s) missed"
exit 0
