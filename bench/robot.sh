#!/bin/sh
# bench/robot.sh: the caravel-robot benchmark of spec/testing.md
# ("Benchmarks"). The test relay (tests/relay/relay.mjs) on 127.0.0.1 is
# the robot's outbox, indexer and messaging relay and every recipient's
# DM relay. 20 recipients publish their kind 10002 and 10050 there
# (bench/robot-peers.mjs, nostr-tools); 200 DMs, 10 to each, are queued
# with caravel-admin dm; then one caravel-robot pass sends them, under
# /usr/bin/time -v. Printed: wall time, DMs/s, CPU time, peak RSS, the
# connections and EVENTs the relay saw during the pass (RELAY_LOG: one
# connection per relay is expected, not one per DM), and a check that
# every recipient can unwrap its 10 DMs from the relay.
#
# Each round starts cold: the robot's record of its own profile events and
# its cache of recipient relay lists are emptied, so every pass also
# publishes the robot's kind 0, 10002 and 10050 and looks up each
# recipient's kind 10002 and 10050 (40 queries) before sending. The
# figures are the medians of BENCH_ROUNDS rounds. Nothing here is a test:
# the figures are recorded in bench/README.md.
#
# Usage: BUILD=DIR sh bench/robot.sh   (BUILD: the build directory with
# caravel-robot and caravel-admin; default the current one). Needs node
# with npm ci --prefix tests/js done, sqlite3 and GNU time. Settings, from
# the environment:
#   BENCH_ROUNDS   rounds (default 3)
#   KEEP_TMP=1     keep the work directory (database, logs)
# It takes about 30 s; every process it starts is stopped by its pid.

# shellcheck disable=SC2317 # functions called from traps and wait_for

set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
# Shared helpers: die, processes and cleanup, wait_for, hex32, sql.
. "$srcdir/bench/lib.sh"
BUILD=${BUILD:-.}
ROUNDS=${BENCH_ROUNDS:-3}
NRECIPIENTS=20
PER_RECIPIENT=10
NDMS=$((NRECIPIENTS * PER_RECIPIENT))
PASS_TIMEOUT=100

case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a number, at least 1" ;;
esac
[ -d "$BUILD" ] || die "BUILD=$BUILD is not a directory"
BUILD=$(cd "$BUILD" && pwd)
ROBOT=$BUILD/caravel-robot
ADMIN=$BUILD/caravel-admin
for b in "$ROBOT" "$ADMIN" /usr/bin/time; do
	[ -x "$b" ] || die "$b is missing (make)"
done
for b in node sqlite3 timeout; do
	command -v "$b" > /dev/null 2>&1 || die "$b is missing"
done
[ -f "$srcdir/tests/js/node_modules/nostr-tools/package.json" ] ||
	die "nostr-tools is missing: npm ci --prefix tests/js"

B=$(mktemp -d "${TMPDIR:-/tmp}/caravel-bench-robot.XXXXXX") ||
	die "mktemp failed"

# --- the relay ---

RLOG=$B/relay.log
: > "$RLOG"
env RELAY_LOG="$RLOG" node "$srcdir/tests/relay/relay.mjs" < /dev/null \
    > "$B/relay.out" 2> "$B/relay.err" &
relay_pid=$!
pids="$pids $relay_pid"
rport()
{
	sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$B/relay.out" | head -n 1
}
rup()
{
	[ -n "$(rport)" ]
}
wait_for 100 rup || die "the test relay did not start: $(cat "$B/relay.err")"
URL=ws://127.0.0.1:$(rport)

# --- the recipients and the database ---

node "$srcdir/bench/robot-peers.mjs" setup "$URL" "$NRECIPIENTS" \
    > "$B/peers" 2> "$B/peers.err" ||
	die "cannot publish the recipients' relay lists: $(cat "$B/peers.err")"
n=$(wc -l < "$B/peers")
[ "$n" = "$NRECIPIENTS" ] || die "$n recipients, not $NRECIPIENTS"

DB=$B/caravel.db
ENV_FILE=$B/caravel.env
{
	echo "DATABASE_URL=sqlite://$DB"
	echo "ENCRYPTION_SECRET=$(hex32)"
	echo "ROBOT_SECRET=$(hex32)"
	echo "ROBOT_NAME=Caravel bench robot"
	echo "ROBOT_OUTBOX_RELAYS=$URL"
	echo "ROBOT_INDEXER_RELAYS=$URL"
	echo "ROBOT_MESSAGING_RELAYS=$URL"
} > "$ENV_FILE"
"$ADMIN" --env-file "$ENV_FILE" migrate > "$B/admin.log" 2>&1 ||
	die "caravel-admin migrate failed: $(cat "$B/admin.log")"

# The robot's public key (derived by nostr-tools after the first pass),
# the author the recipients' unwrapped rumors must have.
ROBOT_PK=

# --- the passes ---

cpu_ticks()
{
	sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null |
	    awk '{ print $12 + $13 }'
}
TICK=$(getconf CLK_TCK)

# queue ROUND: 10 DMs to each recipient, through caravel-admin as the
# API's callers queue them; and a cold start for the robot.
queue()
{
	sql "DELETE FROM dm_recipient_relays; DELETE FROM robot_publication;" ||
	    die "cannot reset the robot's caches"
	_i=1
	while [ "$_i" -le "$PER_RECIPIENT" ]; do
		while read -r _sk _pk; do
			"$ADMIN" --env-file "$ENV_FILE" dm "$_pk" \
			    "bench round $1 DM $_i: your relay is ready." \
			    > "$B/admin.log" 2>&1 ||
			    die "caravel-admin dm failed: $(cat "$B/admin.log")"
		done < "$B/peers"
		_i=$((_i + 1))
	done
	_n=$(sql "SELECT count(*) FROM dm_outbox WHERE status = 'queued'")
	[ "$_n" = "$NDMS" ] || die "$_n DMs queued, not $NDMS"
}

# pass ROUND: one caravel-robot pass; its figures go to $B/ROUND.res as
# WALL-MS|USER+SYS-S|RSS-KB|EXIT|CONNECTIONS|EVENTS|RELAY-CPU-S.
pass()
{
	_l0=$(wc -l < "$RLOG")
	_z0=$(cpu_ticks "$relay_pid")
	_t0=$(date +%s%N)
	env -i PATH="$PATH" timeout "$PASS_TIMEOUT" /usr/bin/time -v \
	    -o "$B/$1.time" "$ROBOT" --env-file "$ENV_FILE" > "$B/$1.out" 2>&1
	_rc=$?
	_t1=$(date +%s%N)
	_z1=$(cpu_ticks "$relay_pid")
	[ "$_rc" = 124 ] && die "caravel-robot ran over $PASS_TIMEOUT s"
	tail -n +$((_l0 + 1)) "$RLOG" > "$B/$1.relay"
	_c=$(grep -c '^{"conn":[0-9]*}$' "$B/$1.relay")
	_e=$(grep -c '"event":' "$B/$1.relay")
	awk -v ms="$(((_t1 - _t0) / 1000))" -v rc="$_rc" -v c="$_c" \
	    -v e="$_e" -v z="$((_z1 - _z0))" -v hz="$TICK" '
	    /User time \(seconds\)/ { u = $NF }
	    /System time \(seconds\)/ { s = $NF }
	    /Maximum resident set size/ { rss = $NF }
	    END { printf "%.1f|%.2f|%d|%d|%d|%d|%.2f\n", ms / 1000, u + s,
		rss, rc, c, e, z / hz }' "$B/$1.time" > "$B/$1.res"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "bench: round $r/$ROUNDS: queueing $NDMS DMs" >&2
	queue "$r"
	echo "bench: round $r/$ROUNDS: the robot's pass" >&2
	pass "$r"
	grep -Eq "^caravel-robot: $NDMS sent, 0 retried, 0 failed, 3 profile events" \
	    "$B/$r.out" ||
	    die "the pass did not send $NDMS DMs: $(tail -n 3 "$B/$r.out")"
	n=$(sql "SELECT count(*) FROM dm_outbox WHERE status = 'sent'")
	[ "$n" = $((r * NDMS)) ] || die "$n DMs sent in all after round $r"
	if [ -z "$ROBOT_PK" ]; then
		ROBOT_PK=$(node --input-type=module -e '
			import { createRequire } from "node:module";
			const require = createRequire(process.argv[1] +
			    "/package.json");
			const { getPublicKey } = require("nostr-tools/pure");
			console.log(getPublicKey(Uint8Array.from(
			    Buffer.from(process.argv[2], "hex"))));
		' "$srcdir/tests/js" \
		    "$(sed -n 's/^ROBOT_SECRET=//p' "$ENV_FILE")") ||
		    die "cannot derive the robot's public key"
	fi
	node "$srcdir/bench/robot-peers.mjs" check "$URL" "$ROBOT_PK" \
	    "$B/peers" "bench round $r DM " > "$B/$r.check" 2> "$B/check.err" ||
	    die "cannot read the DMs back: $(cat "$B/check.err")"
	awk -v want="$PER_RECIPIENT" '$2 != want { bad++ } END { exit bad > 0 }' \
	    "$B/$r.check" ||
	    die "round $r: a recipient did not get $PER_RECIPIENT DMs:" \
		"$(cat "$B/$r.check")"
	r=$((r + 1))
done

# --- the report ---

median()
{
	sort -n | awk -v fmt="$1" '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf fmt "\n", m }'
}
rounds()
{
	cat "$B"/[0-9]*.res | cut -d'|' -f"$1"
}
med()
{
	rounds "$1" | median "$2"
}
each()
{
	rounds "$1" | tr '\n' ' ' | sed 's/ $//'
}

wall=$(med 1 %.1f)
rate=$(awk -v w="$wall" -v n="$NDMS" 'BEGIN { printf "%.0f", n / (w / 1000) }')
conns=$(rounds 5 | sort -n | tail -n 1)
echo "Caravel caravel-robot benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' \
    /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
    "load average before the runs $load_before"
echo "relay: tests/relay/relay.mjs on $URL (outbox, indexer and messaging" \
    "relay of the robot, DM relay of all $NRECIPIENTS recipients);" \
    "node $(node --version)"
echo "each pass: $NDMS queued DMs ($PER_RECIPIENT to each of" \
    "$NRECIPIENTS recipients), cold: 3 profile events and" \
    "$((2 * NRECIPIENTS)) relay-list queries first"
echo "Medians of $ROUNDS round(s); wall: around the process (fork to"
echo "exit); cpu: user + system of caravel-robot; relay cpu: the relay's"
echo "CPU time during the pass; RSS: /usr/bin/time -v maximum resident set."
echo
printf '%-28s %8s %6s %6s %8s %6s %7s %9s\n' case "wall ms" "DMs/s" \
    "cpu s" "RSS kB" conns events "relay cpu"
printf '%-28s %8s %6s %6s %8s %6s %7s %9s\n' \
    "$NDMS DMs, $NRECIPIENTS recipients" "$wall" "$rate" "$(med 2 %.2f)" \
    "$(med 3 %.0f)" "$(med 5 %.0f)" "$(med 6 %.0f)" "$(med 7 %.2f)"
echo
echo "each round: wall ms: $(each 1); RSS kB: $(each 3);" \
    "connections: $(each 5); EVENTs: $(each 6); exit: $(each 4)"
echo "summary line: $(grep '^caravel-robot: ' "$B/$ROUNDS.out" | tail -n 1)"
echo "delivered: every recipient unwrapped its $PER_RECIPIENT DMs from the" \
    "relay (nostr-tools nip59) in every round"
echo
if [ "$conns" = 1 ]; then
	echo "target met:    one connection to the relay per pass (not one per DM)"
else
	echo "target MISSED: one connection to the relay per pass: up to $conns"
fi
echo "$NDMS DMs in $wall ms: $rate DMs/s, peak RSS $(med 3 %.0f) kB"
exit 0
