#!/bin/sh
# bench/infra.sh: the caravel-infra benchmark of spec/testing.md
# ("Benchmarks"). On a fresh SQLite file with 1,000 tenants and 10,000
# relays, against the fake zooid (tests/fakes/zooid.mjs) on 127.0.0.1:
#
#   (t)  true                              the cost of the harness (env,
#                                          timeout, time, fork and exec)
#   (n)  caravel-infra -n                  process start (the dynamic
#                                          loader) and configuration only
#   (a0) a pass over an empty database     the same, plus opening SQLite,
#                                          the migration check, the query
#                                          and the lock: any pass's floor
#   (a)  a pass with nothing to do         all 10,000 relays synced; it
#                                          must make no HTTP call
#   (b)  a pass syncing 1,000 relays       500 never pushed (POST with the
#                                          key), 500 changed (PATCH)
#
# Each pass runs under /usr/bin/time -v; the figures are the medians of
# BENCH_ROUNDS rounds: wall time (taken around the process in ns), CPU
# time, peak RSS, relays/s for (b), and the requests the fake logged. It
# prints whether the issue's target, an idle pass under 100 ms, is met,
# and the query plan of the pass's one query (STMT_RELAY_SYNC_DUE in
# src/db_sql.c) over the seeded table. Two more passes of (b), not timed,
# show where its time goes: one with -v (each zooid call's time) and one
# under strace (the TCP connections it opens). Nothing here is a test: the
# figures are recorded in bench/README.md.
#
# Usage: BUILD=DIR sh bench/infra.sh   (BUILD: the build directory with
# caravel-infra, caravel-admin and tests/nostrcli; default the current
# one). Needs node with npm ci --prefix tests/js done, sqlite3, jq, curl
# and GNU time. Settings, from the environment:
#   BENCH_ROUNDS   rounds of each pass (default 3)
#   KEEP_TMP=1     keep the work directory (database, logs)
# It takes about 30 s; every process it starts is stopped by its pid.

# shellcheck disable=SC2317 # functions called from traps and wait_for

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
# Shared helpers: die, processes and cleanup, wait_for, hex32, sql.
. "$srcdir/bench/lib.sh"
BUILD=${BUILD:-.}
ROUNDS=${BENCH_ROUNDS:-3}
NTENANTS=1000
NRELAYS=10000
NCHANGED=1000
RELAY_DOMAIN=relays.example.com
TARGET_IDLE_MS=100
PASS_TIMEOUT=100

case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a number, at least 1" ;;
esac
[ -d "$BUILD" ] || die "BUILD=$BUILD is not a directory"
BUILD=$(cd "$BUILD" && pwd)
INFRA=$BUILD/caravel-infra
ADMIN=$BUILD/caravel-admin
NOSTRCLI=$BUILD/tests/nostrcli
for b in "$INFRA" "$ADMIN" "$NOSTRCLI" /usr/bin/time; do
	[ -x "$b" ] || die "$b is missing (make; make check builds nostrcli)"
done
for b in node sqlite3 jq curl timeout; do
	command -v "$b" > /dev/null 2>&1 || die "$b is missing"
done
[ -f "$srcdir/tests/js/node_modules/nostr-tools/package.json" ] ||
	die "nostr-tools is missing: npm ci --prefix tests/js"

# pubkey_of SK: the x-only public key, through the project's own signer.
pubkey_of()
{
	echo '{"kind":1,"created_at":1,"tags":[],"content":""}' |
	    "$NOSTRCLI" sign "$1" | jq -r .pubkey
}

B=$(mktemp -d "${TMPDIR:-/tmp}/caravel-bench-infra.XXXXXX") ||
	die "mktemp failed"

# --- the fake zooid ---

ZSK=$(hex32)
ZPK=$(pubkey_of "$ZSK")
[ ${#ZPK} = 64 ] || die "tests/nostrcli cannot sign"
env ZOOID_FAKE_PORT=0 ZOOID_FAKE_WHITELIST="$ZPK" ZOOID_FAKE_ERA=D \
    ZOOID_FAKE_LOG="$B/zooid.log" node "$srcdir/tests/fakes/zooid.mjs" \
    < /dev/null > "$B/zooid.out" 2> "$B/zooid.err" &
zooid_pid=$!
pids="$pids $zooid_pid"
zport()
{
	sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$B/zooid.out" | head -n 1
}
zup()
{
	[ -n "$(zport)" ]
}
wait_for 100 zup || die "the fake zooid did not start: $(cat "$B/zooid.err")"
ZURL=http://127.0.0.1:$(zport)

control()
{
	curl -q -fsS --noproxy '*' -X POST -H 'Content-Type: application/json' \
	    --data-binary "$1" "$ZURL/__control" > /dev/null ||
	    die "zooid control failed"
}

zlog_count()
{
	curl -q -fsS --noproxy '*' "$ZURL/__log" | jq length
}

# --- the database ---

ENC=$(hex32)
ENC_PK=$(pubkey_of "$ENC")
DB=$B/caravel.db
ENV_FILE=$B/caravel.env
{
	echo "DATABASE_URL=sqlite://$DB"
	echo "ENCRYPTION_SECRET=$ENC"
	echo "ZOOID_API_URL=$ZURL"
	echo "ZOOID_API_SECRET=$ZSK"
	echo "RELAY_DOMAIN=$RELAY_DOMAIN"
} > "$ENV_FILE"
EMPTY_DB=$B/empty.db
sed "s|^DATABASE_URL=.*|DATABASE_URL=sqlite://$EMPTY_DB|" "$ENV_FILE" \
    > "$B/empty.env"
for f in "$ENV_FILE" "$B/empty.env"; do
	"$ADMIN" --env-file "$f" migrate > "$B/admin.log" 2>&1 ||
	    die "caravel-admin migrate failed: $(cat "$B/admin.log")"
done

# One relay key, sealed as POST /relays seals it (NIP-44 v2 under the
# conversation key of ENCRYPTION_SECRET with its own public key), serves
# every row: the worker opens each one all the same.
SEALED=$(printf %s "$(hex32)" |
    "$NOSTRCLI" nip44-encrypt "$ENC" "$ENC_PK") || die "cannot seal a key"

# Tenant keys must be points on the curve: zooid checks info.pubkey.
{
	echo pubkey
	node --input-type=module -e '
		import { createRequire } from "node:module";
		const require = createRequire(process.argv[1] + "/package.json");
		const { generateSecretKey, getPublicKey } =
		    require("nostr-tools/pure");
		for (let i = 0; i < Number(process.argv[2]); i++)
			console.log(getPublicKey(generateSecretKey()));
	' "$srcdir/tests/js" "$NTENANTS" || die "node could not make keys"
} > "$B/tenants.csv"
sql ".import --csv $B/tenants.csv tenant_key" \
    "INSERT INTO tenant (rowid, pubkey, created_at)
        SELECT rowid, pubkey, strftime('%s', 'now') - rowid
        FROM tenant_key ORDER BY rowid;
    DROP TABLE tenant_key;" || die "cannot seed the tenants"
n=$(sql "SELECT count(*) FROM tenant")
[ "$n" = "$NTENANTS" ] || die "seeded $n tenants, not $NTENANTS"

# Relay i (its rowid) belongs to tenant 1 + (i - 1) % NTENANTS, so each
# tenant has NRELAYS / NTENANTS; every relay is synced and on zooid.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
        WHERE i < $NRELAYS)
    INSERT INTO relay (rowid, id, tenant, subdomain, schema, plan, status,
        secret_sealed, info_name, info_description, policy_public_join,
        groups_enabled, created_at, updated_at, synced, zooid_created)
    SELECT i, printf('%032x', i),
        (SELECT pubkey FROM tenant WHERE rowid = 1 + (i - 1) % $NTENANTS),
        'relay-' || i, 'relay_' || i,
        CASE i % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'basic' ELSE 'growth' END,
        CASE i % 50 WHEN 7 THEN 'inactive' ELSE 'active' END,
        '$SEALED', 'Bench relay ' || i,
        'A relay seeded by bench/infra.sh.', i % 2, (i + 1) % 2,
        strftime('%s', 'now') - $NRELAYS + i,
        strftime('%s', 'now') - $NRELAYS + i, 1, 1
    FROM n;" || die "cannot seed the relays"
n=$(sql "SELECT count(*) FROM relay WHERE synced = 1")
[ "$n" = "$NRELAYS" ] || die "seeded $n synced relays, not $NRELAYS"

# The changed relays of (b): every tenth, one per tenant. Those with
# i % 20 = 0 were never pushed (zooid_created = 0: a POST); those with
# i % 20 = 10 are on zooid already (seeded into the fake: a PATCH).
CHANGED="rowid % 10 = 0"
FRESH="rowid % 20 = 0"
sql "SELECT json_object('seed_relays', json_group_object(id,
        json_object('host', subdomain || '.$RELAY_DOMAIN',
        'schema', schema)))
    FROM relay WHERE $CHANGED AND NOT ($FRESH);" > "$B/seed.json" ||
	die "cannot list the relays to seed into the fake"
n=$(sql "SELECT count(*) FROM relay WHERE $CHANGED")
[ "$n" = "$NCHANGED" ] || die "$n relays selected to change, not $NCHANGED"

# mark_changed: the state of (b) before each of its rounds.
mark_changed()
{
	control '{"reset": true}'
	control "$(cat "$B/seed.json")"
	sql "UPDATE relay SET synced = 0, version = version + 1,
	        zooid_created = CASE WHEN $FRESH THEN 0 ELSE 1 END,
	        updated_at = strftime('%s', 'now')
	    WHERE $CHANGED;" || die "cannot mark the relays changed"
}

# --- the passes ---

cpu_ticks()
{
	sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null |
	    awk '{ print $12 + $13 }'
}
TICK=$(getconf CLK_TCK)

# pass KEY ROUND CMD...: one run of CMD (a caravel-infra pass); its
# figures go to $B/KEY.ROUND.res as
# WALL-MS|USER+SYS-S|RSS-KB|EXIT|FAKE-REQUESTS|FAKE-CPU-S.
pass()
{
	_k=$1.$2
	shift 2
	_f0=$(zlog_count)
	_z0=$(cpu_ticks "$zooid_pid")
	_t0=$(date +%s%N)
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" /usr/bin/time -v \
	    -o "$B/$_k.time" "$@" > "$B/$_k.out" 2>&1
	_rc=$?
	_t1=$(date +%s%N)
	_z1=$(cpu_ticks "$zooid_pid")
	_f1=$(zlog_count)
	[ "$_rc" = 124 ] && die "$1 ran over $PASS_TIMEOUT s"
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

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $NTENANTS tenants, $NRELAYS relays seeded; $ROUNDS round(s)" >&2
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "bench: round $r/$ROUNDS" >&2
	pass t "$r" true
	pass n "$r" "$INFRA" --env-file "$ENV_FILE" -n
	pass a0 "$r" "$INFRA" --env-file "$B/empty.env"
	pass a "$r" "$INFRA" --env-file "$ENV_FILE"
	[ ! -s "$B/a.$r.out" ] ||
	    die "the idle pass did something: $(tail -n 3 "$B/a.$r.out")"
	mark_changed
	pass b "$r" "$INFRA" --env-file "$ENV_FILE"
	grep -q "^caravel-infra: $NCHANGED synced, 0 failed, 0 skipped" "$B/b.$r.out" ||
	    die "pass (b) did not sync $NCHANGED relays: $(tail -n 3 "$B/b.$r.out")"
	n=$(sql "SELECT count(*) FROM relay WHERE synced = 0")
	[ "$n" = 0 ] || die "after pass (b), $n relays are still unsynced"
	curl -q -fsS --noproxy '*' "$ZURL/__log" | jq -r '.[] |
	    "\(.method) \(.status)"' | sort | uniq -c |
	    awk '{ printf "%s%s %s: %s", (NR > 1 ? ", " : ""), $2, $3, $1 }
	    END { print "" }' > "$B/b.$r.calls"
	r=$((r + 1))
done

# --- two more passes of (b), not timed: where the time goes ---

# With -v the worker logs each zooid call and its time (httpc's
# log_call, from libcurl's CURLINFO_TOTAL_TIME_T).
mark_changed
env -i PATH="$PATH" timeout "$PASS_TIMEOUT" "$INFRA" --env-file "$ENV_FILE" \
    -v > "$B/verbose.out" 2>&1 || die "the -v pass failed"
call_ms=$(sed -n 's/.*httpc: [A-Z]* .* -> [0-9]* in \([0-9][0-9]*\) ms$/\1/p' \
    "$B/verbose.out" | median %.0f)
ncalls=$(grep -c 'httpc: .* -> [0-9]* in [0-9]* ms$' "$B/verbose.out")
call_total=$(sed -n 's/.*httpc: [A-Z]* .* -> [0-9]* in \([0-9][0-9]*\) ms$/\1/p' \
    "$B/verbose.out" | awk '{ s += $1 } END { printf "%.1f", s / 1000 }')
verbose_s=$(sed -n 's/^caravel-infra: .* in \([0-9.]*\)s$/\1/p' "$B/verbose.out")
# Under strace: the TCP connections the pass opens to the fake.
conns=
if command -v strace > /dev/null 2>&1; then
	mark_changed
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" strace -f -qq \
	    -e trace=connect -o "$B/strace.out" "$INFRA" \
	    --env-file "$ENV_FILE" > "$B/strace.log" 2>&1 ||
	    die "the strace pass failed: $(tail -n 3 "$B/strace.log")"
	conns=$(grep -c "htons($(zport))" "$B/strace.out")
fi

# --- the query of an idle pass ---

# STMT_RELAY_SYNC_DUE as src/db_sql.c has it (RELAY_COLUMNS read as *).
awk '/\[STMT_RELAY_SYNC_DUE\] =/ { on = 1; next }
    on { line = $0; sub(/^[ \t]*"/, "", line); sub(/",?[ \t]*$/, "", line)
	sub(/" RELAY_COLUMNS "/, "*", line); printf "%s", line
	if ($0 ~ /",[ \t]*$/) exit }' "$srcdir/src/db_sql.c" > "$B/due.sql"
plan=
if grep -q '^SELECT .* FROM relay WHERE synced = 0' "$B/due.sql"; then
	plan=$(sql "EXPLAIN QUERY PLAN $(cat "$B/due.sql");" 2>&1 |
	    sed 's/^/    /')
fi

# --- the report ---

med()
{
	rounds "$1" "$2" | median "$3"
}
each()
{
	rounds "$1" "$2" | tr '\n' ' ' | sed 's/ $//'
}

echo "Caravel caravel-infra benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
    "load average before the runs $load_before"
echo "database: $NTENANTS tenants, $NRELAYS relays ($(du -k "$DB" |
    cut -f1) kB file, WAL); fake zooid: tests/fakes/zooid.mjs, era D," \
    "on 127.0.0.1; sqlite $(sqlite3 --version | awk '{ print $1 }')," \
    "node $(node --version)"
echo "Medians of $ROUNDS round(s); wall: around the process (fork to"
echo "exit); cpu: user + system of caravel-infra; fake cpu: the fake zooid's"
echo "CPU time during the pass; RSS: /usr/bin/time -v maximum resident set."
echo
printf '%-42s %8s %6s %8s %6s %8s %s\n' case "wall ms" "cpu s" "RSS kB" \
    "zooid" "fake cpu" "relays/s"
for k in t n a0 a b; do
	case $k in
	t) l="(t) true: the harness alone" ;;
	n) l="(n) caravel-infra -n: start, config" ;;
	a0) l="(a0) empty database" ;;
	a) l="(a) idle pass, $NRELAYS relays synced" ;;
	b) l="(b) $NCHANGED changed (500 POST, 500 PATCH)" ;;
	esac
	wall=$(med "$k" 1 %.1f)
	rate=
	[ "$k" = b ] && rate=$(awk -v w="$wall" -v n="$NCHANGED" \
	    'BEGIN { printf "%.0f", n / (w / 1000) }')
	printf '%-42s %8s %6s %8s %6s %8s %s\n' "$l" "$wall" \
	    "$(med "$k" 2 %.2f)" "$(med "$k" 3 %.0f)" "$(med "$k" 5 %.0f)" \
	    "$(med "$k" 6 %.2f)" "$rate"
done
echo
echo "each round:"
for k in t n a0 a b; do
	echo "  ($k) wall ms: $(each "$k" 1); RSS kB: $(each "$k" 3);" \
	    "zooid requests: $(each "$k" 5); exit: $(each "$k" 4)"
done
echo "  (b) zooid answers per round:"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "    $(cat "$B/b.$r.calls")"
	r=$((r + 1))
done
echo "  (b) summary line: $(grep '^caravel-infra: ' "$B/b.$ROUNDS.out" | tail -n 1)"
echo "  (b) with -v, another pass of ${verbose_s}s: $ncalls zooid calls," \
    "median $call_ms ms each,"
echo "      $call_total s in all (libcurl's total time, logged in whole ms:" \
    "each up to 1 ms more)"
if [ -n "$conns" ]; then
	echo "  (b) under strace, another pass: $conns TCP connections to the" \
	    "fake zooid for $NCHANGED relays"
fi
echo
if [ -n "$plan" ]; then
	echo "EXPLAIN QUERY PLAN of STMT_RELAY_SYNC_DUE over the seeded table:"
	echo "$plan"
else
	echo "NOTE: STMT_RELAY_SYNC_DUE not found in src/db_sql.c; no query plan"
fi
echo

idle=$(med a 1 %.1f)
reqs=$(rounds a 5 | sort -n | tail -n 1)
if awk -v x="$idle" -v t="$TARGET_IDLE_MS" 'BEGIN { exit !(x < t) }'; then
	echo "target met:    idle pass over $NRELAYS relays < $TARGET_IDLE_MS ms:" \
	    "$idle ms"
else
	echo "target MISSED: idle pass over $NRELAYS relays < $TARGET_IDLE_MS ms:" \
	    "$idle ms (empty database: $(med a0 1 %.1f) ms)"
fi
if [ "$reqs" = 0 ]; then
	echo "target met:    idle pass makes no HTTP call: 0 requests in every" \
	    "round"
else
	echo "target MISSED: idle pass makes no HTTP call: up to $reqs requests"
fi
echo "(b) all $NCHANGED relays synced in every round; $(med b 1 %.0f) ms," \
    "$(awk -v w="$(med b 1 %.1f)" -v n="$NCHANGED" \
    'BEGIN { printf "%.0f", n / (w / 1000) }') relays/s," \
    "peak RSS $(med b 3 %.0f) kB"
exit 0
