#!/bin/sh
# bench/billing.sh: the caravel-billing benchmark of spec/testing.md
# ("Benchmarks"). On a fresh SQLite file with 10,000 tenants, each with a
# Stripe customer and subscription, two relays on paid plans and three
# paid invoices in the mirror, all reconciled in the last 12 hours, and
# the fake Stripe (tests/fakes/stripe.mjs) on 127.0.0.1 as STRIPE_API_URL,
# it times caravel-billing passes as cron runs them:
#
#   (t)  true under the same wrappers     the floor of the measurement
#   (n)  caravel-billing -n               process start and configuration
#   (a0) a pass over an empty database    opening SQLite, the duties'
#                                         queries, the lock: any pass's floor
#   (a)  a pass with nothing to do        no tenant marked or due for the
#                                         daily check: no HTTP call at all
#   (b)  a pass reconciling 1,000 marked  every tenth tenant marked
#                                         (billing_marked_at): 500 with no
#                                         subscription (Stripe: list, card,
#                                         create) and 500 whose subscription
#                                         lacks an item (read, update); all
#                                         then heal their invoice mirror
#
# The platform wallet (NWC_URL) and the BTC price source name a loopback
# port nobody listens on: a pass with nothing to pay must not reach them,
# which one more idle pass under strace checks (connect calls). Each pass
# runs under /usr/bin/time -v; the figures are the medians of
# BENCH_ROUNDS rounds: wall time (taken around the process in ns), CPU
# time, peak RSS, and the requests the fake Stripe logged (STRIPE_FAKE_LOG)
# during the pass, per tenant for (b). Every round starts from the same
# database (a copy of the seeded file), and the fake is reset and given
# the customers and subscriptions of (b) again before each (b). It prints
# whether the issue's targets are met (an idle pass under 100 ms that makes
# no HTTP call) and the query plan of each statement an idle pass runs
# (src/db_sql.c through the C preprocessor) over the seeded tables.
# Nothing here is a test: the figures are recorded in bench/README.md.
#
# Usage: BUILD=DIR sh bench/billing.sh   (BUILD: the build directory with
# caravel-billing and caravel-admin; default the current one). Needs node
# with npm ci --prefix tests/js done, sqlite3, jq, curl, cc and GNU time.
# Settings, from the environment:
#   BENCH_ROUNDS   rounds of each pass (default 3)
#   KEEP_TMP=1     keep the work directory (database, logs)
#   CC             the C compiler whose preprocessor reads src/db_sql.c
# It takes about 20 s; every process it starts is stopped by its pid.

# shellcheck disable=SC2317 # functions called from traps and wait_for

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
# Shared helpers: die, processes and cleanup, wait_for, hex32, sql.
. "$srcdir/bench/lib.sh"
BUILD=${BUILD:-.}
ROUNDS=${BENCH_ROUNDS:-3}
CC=${CC:-cc}
NTENANTS=10000
NMARKED=1000
INVOICES_EACH=3
STRIPE_KEY=sk_test_caravel_bench
TARGET_IDLE_MS=100
PASS_TIMEOUT=120

case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a number, at least 1" ;;
esac
[ -d "$BUILD" ] || die "BUILD=$BUILD is not a directory"
BUILD=$(cd "$BUILD" && pwd)
BILLING=$BUILD/caravel-billing
ADMIN=$BUILD/caravel-admin
for b in "$BILLING" "$ADMIN" /usr/bin/time; do
	[ -x "$b" ] || die "$b is missing (make)"
done
for b in node sqlite3 jq curl timeout "$CC"; do
	command -v "$b" > /dev/null 2>&1 || die "$b is missing"
done
[ -f "$srcdir/tests/js/node_modules/stripe/package.json" ] ||
	die "the npm package stripe is missing: npm ci --prefix tests/js"

B=$(mktemp -d "${TMPDIR:-/tmp}/caravel-bench-billing.XXXXXX") ||
	die "mktemp failed"

# --- the fake Stripe ---

SLOG=$B/stripe.log
: > "$SLOG"
env STRIPE_FAKE_PORT=0 STRIPE_FAKE_KEY="$STRIPE_KEY" STRIPE_FAKE_LOG="$SLOG" \
    STRIPE_FAKE_PRICES=price_basic:500,price_growth:2500 \
    node "$srcdir/tests/fakes/stripe.mjs" < /dev/null > "$B/stripe.out" \
    2> "$B/stripe.err" &
stripe_pid=$!
pids="$pids $stripe_pid"
sport()
{
	sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$B/stripe.out" | head -n 1
}
sup()
{
	[ -n "$(sport)" ]
}
wait_for 100 sup || die "the fake Stripe did not start: $(cat "$B/stripe.err")"
SURL=http://127.0.0.1:$(sport)

control()
{
	curl -q -fsS --noproxy '*' -X POST -H 'Content-Type: application/json' \
	    --data-binary "$1" "$SURL/__control" > /dev/null ||
	    die "stripe control failed"
}

slog_count()
{
	wc -l < "$SLOG" | tr -d ' '
}

# A loopback port nobody listens on, for what an idle pass must not use.
dead_port()
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
DEAD=$(dead_port) || die "no free port"

# --- the database ---

DB=$B/caravel.db
ENV_FILE=$B/caravel.env
{
	echo "DATABASE_URL=sqlite://$DB"
	echo "ENCRYPTION_SECRET=$(hex32)"
	echo "STRIPE_SECRET_KEY=$STRIPE_KEY"
	echo "STRIPE_API_URL=$SURL"
	echo "STRIPE_PRICE_BASIC=price_basic"
	echo "STRIPE_PRICE_GROWTH=price_growth"
	echo "NWC_URL=nostr+walletconnect://$(hex32)?relay=ws%3A%2F%2F127.0.0.1%3A$DEAD&secret=$(hex32)"
	echo "NWC_TIMEOUT=2"
	echo "BTC_PRICE_URL=http://127.0.0.1:$DEAD/v2/prices/BTC-USD/spot"
	echo "HTTP_TIMEOUT=5"
	echo "RELAY_DOMAIN=relays.example.com"
} > "$ENV_FILE"
EMPTY_DB=$B/empty.db
sed "s|^DATABASE_URL=.*|DATABASE_URL=sqlite://$EMPTY_DB|" "$ENV_FILE" \
    > "$B/empty.env"
for f in "$ENV_FILE" "$B/empty.env"; do
	"$ADMIN" --env-file "$f" migrate > "$B/admin.log" 2>&1 ||
	    die "caravel-admin migrate failed: $(cat "$B/admin.log")"
done
"$BILLING" --env-file "$ENV_FILE" -n > "$B/check.out" 2>&1 ||
	die "caravel-billing rejects the configuration: $(cat "$B/check.out")"

# Tenant i (its rowid): a customer and an active subscription (ids the
# fake never sees unless (b) marks the tenant), reconciled 1 s to 12 h
# ago, nothing marked, past due or delinquent; relays 2i - 1 (basic) and
# 2i (growth), synced; invoices of the last INVOICES_EACH months, paid by
# card. The relay keys are never opened by caravel-billing.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
        WHERE i < $NTENANTS)
    INSERT INTO tenant (rowid, pubkey, created_at, stripe_customer_id,
        stripe_subscription_id, subscription_status, billing_reconciled_at)
    SELECT i, lower(hex(randomblob(32))),
        strftime('%s', 'now') - 86400 * 400 + i,
        printf('cus_bench%07d', i), printf('sub_bench%07d', i), 'active',
        strftime('%s', 'now') - 1 - i * 43199 / $NTENANTS
    FROM n;
    WITH RECURSIVE n(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM n
        WHERE j < 2 * $NTENANTS)
    INSERT INTO relay (rowid, id, tenant, subdomain, schema, plan, status,
        secret_sealed, info_name, info_description, created_at, updated_at,
        synced, zooid_created)
    SELECT j, printf('%032x', j),
        (SELECT pubkey FROM tenant WHERE rowid = (j + 1) / 2),
        'relay-' || j, 'relay_' || j,
        CASE j % 2 WHEN 1 THEN 'basic' ELSE 'growth' END, 'active',
        'not-opened-by-billing', 'Bench relay ' || j,
        'A relay seeded by bench/billing.sh.',
        strftime('%s', 'now') - 86400 * 300, strftime('%s', 'now') - 86400 * 300,
        1, 1
    FROM n;
    WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m
        WHERE k < $INVOICES_EACH),
    t AS (SELECT rowid AS i, pubkey, stripe_subscription_id AS sub,
        strftime('%s', 'now') - 86400 * 30 * ($INVOICES_EACH + 1) AS t0
        FROM tenant)
    INSERT INTO invoice (id, tenant, status, currency, amount_due,
        amount_paid, period_start, period_end, created_at, paid_at, paid_via,
        hosted_invoice_url, subscription_id, attempt_count, billing_reason,
        updated_at)
    SELECT printf('in_bench%07d%02d', i, k), pubkey, 'paid', 'usd', 3000,
        3000, t0 + 86400 * 30 * k, t0 + 86400 * 30 * (k + 1),
        t0 + 86400 * 30 * k, t0 + 86400 * 30 * k + 60, 'stripe',
        printf('https://invoice.stripe.com/i/acct_bench/test_%07d%02d', i, k),
        sub, 1, 'subscription_cycle', t0 + 86400 * 30 * k + 60
    FROM t, m;
    PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null ||
	die "cannot seed the database"
for q in "tenant WHERE billing_reconciled_at > strftime('%s', 'now') - 86400
        AND billing_marked_at IS NULL:$NTENANTS" \
    "relay WHERE status = 'active' AND plan <> 'free':$((2 * NTENANTS))" \
    "invoice WHERE status = 'paid':$((INVOICES_EACH * NTENANTS))"; do
	n=$(sql "SELECT count(*) FROM ${q%:*}")
	[ "$n" = "${q##*:}" ] || die "seeded $n rows of ${q%:*}, not ${q##*:}"
done
cp "$DB" "$B/seeded.db" || die "cannot copy the database"

# restore: every round starts from the seeded file.
restore()
{
	rm -f "$DB-wal" "$DB-shm"
	cp "$B/seeded.db" "$DB" || die "cannot restore the database"
}

# The tenants of (b): every tenth; those with rowid % 20 = 0 have no
# subscription ("new"), those with rowid % 20 = 10 one that lacks their
# growth relay ("changed").
sql "SELECT pubkey || '|' || CASE rowid % 20 WHEN 0 THEN 'new'
        ELSE 'changed' END FROM tenant WHERE rowid % 10 = 0 ORDER BY rowid;" \
    > "$B/marked.txt" || die "cannot list the tenants of (b)"
n=$(wc -l < "$B/marked.txt")
[ "$n" = "$NMARKED" ] || die "$n tenants selected for (b), not $NMARKED"

# mark: the state of (b) on a restored database: the fake Stripe reset
# and given the customers (each with a card) and the "changed" tenants'
# subscriptions; the tenants pointed at them and marked.
mark()
{
	control '{"reset": true}'
	env STRIPE_SECRET_KEY="$STRIPE_KEY" node "$srcdir/bench/stripe-bench.mjs" \
	    seed-fake "$SURL" < "$B/marked.txt" > "$B/ids.txt" ||
	    die "cannot seed the fake Stripe"
	{
		echo "pubkey,cus,sub"
		tr '|' ',' < "$B/ids.txt"
	} > "$B/ids.csv"
	sql ".import --csv $B/ids.csv bench_ids" \
	    "UPDATE tenant SET stripe_customer_id = b.cus,
	        stripe_subscription_id = nullif(b.sub, ''),
	        subscription_status = CASE b.sub WHEN '' THEN 'canceled'
	            ELSE 'active' END,
	        billing_marked_at = strftime('%s', 'now')
	    FROM bench_ids b WHERE b.pubkey = tenant.pubkey;
	    DROP TABLE bench_ids;" ||
	    die "cannot mark the tenants of (b)"
	_n=$(sql "SELECT count(*) FROM tenant WHERE billing_marked_at IS NOT NULL")
	[ "$_n" = "$NMARKED" ] || die "$_n tenants marked, not $NMARKED"
}

# --- the passes ---

cpu_ticks()
{
	sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null |
	    awk '{ print $12 + $13 }'
}
TICK=$(getconf CLK_TCK)

# pass KEY ROUND CMD...: one run of CMD (a caravel-billing pass); its
# figures go to $B/KEY.ROUND.res as
# WALL-MS|USER+SYS-S|RSS-KB|EXIT|STRIPE-REQUESTS|FAKE-CPU-S, and the
# fake's log lines of the pass to $B/KEY.ROUND.calls.
pass()
{
	_k=$1.$2
	shift 2
	_f0=$(slog_count)
	_z0=$(cpu_ticks "$stripe_pid")
	_t0=$(date +%s%N)
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" /usr/bin/time -v \
	    -o "$B/$_k.time" "$@" > "$B/$_k.out" 2>&1
	_rc=$?
	_t1=$(date +%s%N)
	_z1=$(cpu_ticks "$stripe_pid")
	_f1=$(slog_count)
	[ "$_rc" = 124 ] && die "$_k ran over $PASS_TIMEOUT s"
	tail -n +$((_f0 + 1)) "$SLOG" > "$B/$_k.calls"
	awk -v ms="$(((_t1 - _t0) / 1000))" -v rc="$_rc" \
	    -v req="$((_f1 - _f0))" -v z="$((_z1 - _z0))" -v hz="$TICK" '
	    /User time \(seconds\)/ { u = $NF }
	    /System time \(seconds\)/ { s = $NF }
	    /Maximum resident set size/ { rss = $NF }
	    END { printf "%.1f|%.2f|%d|%d|%d|%.2f\n", ms / 1000, u + s, rss,
		rc, req, z / hz }' "$B/$_k.time" > "$B/$_k.res"
}

median()
{
	sort -n | awk -v fmt="$1" '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf fmt "\n", m }'
}

# rounds KEY FIELD: that field of every round of KEY, one a line.
rounds()
{
	cat "$B/$1".*.res | cut -d'|' -f"$2"
}

# calls FILE: the fake's log lines as "METHOD /path status: count".
calls()
{
	jq -r '.method + " " + (.path | sub("/(cus|sub|in)_[A-Za-z0-9]+";
	    "/:id")) + " " + (.status | tostring)' "$1" | sort | uniq -c |
	    awk '{ printf "%s%s %s %s: %s", (NR > 1 ? ", " : ""), $2, $3, $4, $1 }
	    END { print "" }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $NTENANTS tenants seeded; $ROUNDS round(s)" >&2
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "bench: round $r/$ROUNDS" >&2
	restore
	pass t "$r" true
	pass n "$r" "$BILLING" --env-file "$ENV_FILE" -n
	pass a0 "$r" "$BILLING" --env-file "$B/empty.env"
	pass a "$r" "$BILLING" --env-file "$ENV_FILE"
	[ "$(cut -d'|' -f4 "$B/a.$r.res")" = 0 ] && [ ! -s "$B/a.$r.out" ] ||
	    die "the idle pass did something: $(tail -n 3 "$B/a.$r.out")"
	mark
	pass b "$r" "$BILLING" --env-file "$ENV_FILE"
	grep -q "^caravel-billing: $NMARKED tenants reconciled (500 created, 500 updated, 0 canceled), $NMARKED invoices mirrored, .* 0 deferred, 0 need an operator in " \
	    "$B/b.$r.out" ||
	    die "pass (b) did not reconcile $NMARKED tenants:" \
	    "$(grep -v ': tenant .*: subscription .* \(created\|updated\)' \
	    "$B/b.$r.out" | tail -n 5)"
	n=$(sql "SELECT count(*) FROM tenant WHERE billing_marked_at IS NOT NULL
	    OR (rowid % 10 = 0 AND (stripe_subscription_id IS NULL
	    OR billing_reconciled_at < strftime('%s', 'now') - 600))")
	[ "$n" = 0 ] || die "after pass (b), $n tenants are not reconciled"
	calls "$B/b.$r.calls" > "$B/b.$r.summary"
	r=$((r + 1))
done

# --- an idle pass under strace: nothing reaches the network ---

conns=
if command -v strace > /dev/null 2>&1; then
	restore
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" strace -f -qq \
	    -e trace=connect -o "$B/strace.out" "$BILLING" \
	    --env-file "$ENV_FILE" > "$B/strace.log" 2>&1 ||
	    die "the strace pass failed: $(tail -n 3 "$B/strace.log")"
	conns=$(grep -c 'sin6\?_port=' "$B/strace.out")
fi

# --- the statements of an idle pass ---

# Each statement as src/db_sql.c builds it (the C preprocessor expands
# its column macros; the adjacent literals are joined here).
"$CC" -E -P -I"$BUILD" -I"$srcdir/src" "$srcdir/src/db_sql.c" \
    > "$B/db_sql.i" 2> "$B/cpp.err" ||
	die "cannot preprocess src/db_sql.c: $(head -n 3 "$B/cpp.err")"
stmt()
{
	tr '\n' ' ' < "$B/db_sql.i" | awk -v name="$1" '{
		i = index($0, "[" name "] =")
		if (i == 0) exit 1
		s = substr($0, i + length(name) + 4)
		e = match(s, /\[STMT_[A-Z0-9_]+\] =|};/)
		if (e > 0) s = substr(s, 1, e - 1)
		out = ""
		while (match(s, /"[^"]*"/)) {
			out = out substr(s, RSTART + 1, RLENGTH - 2)
			s = substr(s, RSTART + RLENGTH)
		}
		print out
	}'
}
IDLE_STMTS="STMT_TENANT_BILLING_DUE STMT_INVOICE_AUTOPAY STMT_BOLT11_CHECK_DUE
STMT_INVOICE_DUE_DM STMT_TENANT_DUNNING"
: > "$B/plans.txt"
for s in $IDLE_STMTS; do
	q=$(stmt "$s") || q=
	{
		echo "  $s:"
		if [ -n "$q" ]; then
			sql "EXPLAIN QUERY PLAN $q;" 2>&1 | sed 's/^/    /'
		else
			echo "    (not found in src/db_sql.c)"
		fi
	} >> "$B/plans.txt"
done

# --- the report ---

med()
{
	rounds "$1" "$2" | median "$3"
}
each()
{
	rounds "$1" "$2" | tr '\n' ' ' | sed 's/ $//'
}

echo "Caravel caravel-billing benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
    "load average before the runs $load_before"
echo "database: $NTENANTS tenants (customer, subscription), $((2 * NTENANTS))" \
    "relays on paid plans, $((INVOICES_EACH * NTENANTS)) paid invoices" \
    "($(du -k "$B/seeded.db" | cut -f1) kB file, WAL); fake Stripe:" \
    "tests/fakes/stripe.mjs on 127.0.0.1; NWC_URL and BTC_PRICE_URL:" \
    "a closed loopback port; sqlite $(sqlite3 --version | awk '{ print $1 }')," \
    "node $(node --version)"
echo "Medians of $ROUNDS round(s); wall: around the process (fork to"
echo "exit); cpu: user + system of caravel-billing; fake cpu: the fake"
echo "Stripe's CPU time during the pass; RSS: /usr/bin/time -v maximum"
echo "resident set; stripe: requests the fake logged during the pass."
echo
printf '%-44s %8s %6s %7s %6s %8s %s\n' case "wall ms" "cpu s" "RSS kB" \
    stripe "fake cpu" "per tenant"
for k in t n a0 a b; do
	case $k in
	t) l="(t) true: the harness alone" ;;
	n) l="(n) caravel-billing -n: start, config" ;;
	a0) l="(a0) empty database" ;;
	a) l="(a) idle pass, $NTENANTS tenants" ;;
	b) l="(b) $NMARKED marked (500 create, 500 update)" ;;
	esac
	per=
	[ "$k" = b ] && per=$(awk -v w="$(med b 1 %.1f)" \
	    -v q="$(med b 5 %.0f)" -v n="$NMARKED" \
	    'BEGIN { printf "%.2f ms, %.2f requests", w / n, q / n }')
	printf '%-44s %8s %6s %7s %6s %8s %s\n' "$l" "$(med "$k" 1 %.1f)" \
	    "$(med "$k" 2 %.2f)" "$(med "$k" 3 %.0f)" "$(med "$k" 5 %.0f)" \
	    "$(med "$k" 6 %.2f)" "$per"
done
echo
echo "each round:"
for k in t n a0 a b; do
	echo "  ($k) wall ms: $(each "$k" 1); RSS kB: $(each "$k" 3);" \
	    "stripe requests: $(each "$k" 5); exit: $(each "$k" 4)"
done
echo "  (b) Stripe requests per round:"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "    $(cat "$B/b.$r.summary")"
	r=$((r + 1))
done
echo "  (b) summary line: $(sed -n 's/^caravel-billing: //p' "$B/b.$ROUNDS.out" |
    tail -n 1)"
echo "  (a) output: none (an idle pass is silent without -v)"
if [ -n "$conns" ]; then
	echo "  (a) under strace, another idle pass: $conns connect() calls to" \
	    "an IP address (Stripe, NWC_URL's relay, BTC_PRICE_URL)"
fi
echo
echo "EXPLAIN QUERY PLAN of the statements of an idle pass, over the seeded tables:"
cat "$B/plans.txt"
echo

idle=$(med a 1 %.1f)
reqs=$(rounds a 5 | sort -n | tail -n 1)
if awk -v x="$idle" -v t="$TARGET_IDLE_MS" 'BEGIN { exit !(x < t) }'; then
	echo "target met:    idle pass over $NTENANTS tenants < $TARGET_IDLE_MS ms:" \
	    "$idle ms"
else
	echo "target MISSED: idle pass over $NTENANTS tenants < $TARGET_IDLE_MS ms:" \
	    "$idle ms (empty database: $(med a0 1 %.1f) ms)"
fi
if [ "$reqs" = 0 ] && [ "${conns:-0}" = 0 ]; then
	echo "target met:    idle pass makes no HTTP call: 0 Stripe requests in" \
	    "every round${conns:+, 0 connect() calls under strace}"
else
	echo "target MISSED: idle pass makes no HTTP call: up to $reqs Stripe" \
	    "requests${conns:+, $conns connect() calls under strace}"
fi
echo "(b) all $NMARKED marked tenants reconciled in every round;" \
    "$(med b 1 %.0f) ms, $(awk -v w="$(med b 1 %.1f)" -v n="$NMARKED" \
    'BEGIN { printf "%.0f", n / (w / 1000) }') tenants/s," \
    "$(awk -v q="$(med b 5 %.0f)" -v n="$NMARKED" \
    'BEGIN { printf "%.2f", q / n }') Stripe requests a tenant," \
    "peak RSS $(med b 3 %.0f) kB"
exit 0
