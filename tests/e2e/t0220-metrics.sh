#!/bin/sh
# t0220-metrics.sh: GET /metrics through nginx, for admins only, and
# caravel-admin metrics, read by a Prometheus text parser from the npm
# registry (parse-prometheus-text-format): requests by route and status
# counted across all the API's processes (and kept when they restart), a
# latency histogram, NIP-98 failures by reason, each worker's last pass
# from the database; caravel-admin status says the same for a person.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
. "$top_srcdir/tests/e2e/needs.sh"
needs_name t0220 "metrics"
needs_node parse-prometheus-text-format

. "$top_srcdir/tests/e2e/lib.sh"

NOSTRCLI=$top_builddir/tests/nostrcli
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"
unset CARAVEL_TEST_NOW

ASK=$(random_hex32)
TSK=$(random_hex32)
api_env "ADMINS=$(pubkey_of "$ASK")"
start_api -c 3
start_nginx
ADMIN=$("$NOSTRCLI" nip98-make "$ASK" http://127.0.0.1/ GET)
TENANT=$("$NOSTRCLI" nip98-make "$TSK" http://127.0.0.1/ GET)

# parse FILE: the exposition as JSON ({name: {type, metrics: [...]}}).
parse()
{
	(cd "$top_srcdir/tests/js" && node --input-type=module -e "
import parse from 'parse-prometheus-text-format'
import { readFileSync } from 'node:fs'
const out = {}
for (const f of parse(readFileSync(process.argv[1], 'utf8'))) out[f.name] = f
console.log(JSON.stringify(out))" "$1")
}
# value JSON NAME LABELS-JQ: the sample of NAME whose labels match.
value()
{
	jq -r --arg n "$2" "[.[\$n].metrics[] | select(.labels | $3) | .value]
	    | if length == 1 then .[0] else \"none\" end" "$1"
}

i=0
while [ "$i" -lt 25 ]; do
	http GET /plans
	i=$((i + 1))
done
http GET /identity -H "Authorization: Nostr bm90IGpzb24="
http GET /identity
http POST /plans

http GET /metrics
expect_status "GET /metrics without a header: 401" 401
http GET /metrics -H "Authorization: $TENANT"
expect_status "GET /metrics as a tenant: 403" 403
http GET /metrics -H "Authorization: $ADMIN"
expect_status "GET /metrics as an admin: 200" 200
expect_header "... as Prometheus text" Content-Type \
    "text/plain; version=0.0.4; charset=utf-8"
cp "$T/http.body" "$T/m1.txt"
parse "$T/m1.txt" > "$T/m1.json"
check "the Prometheus parser reads it" test -s "$T/m1.json"
check "25 GET /plans counted as 200, across the 3 processes" test \
    "$(value "$T/m1.json" caravel_http_requests_total \
    '.route == "GET /plans" and .status == "200"')" = 25
check "POST /plans counted as 405 under its path" test \
    "$(value "$T/m1.json" caravel_http_requests_total \
    '.route == "other" and .status == "405"')" = 1
check "401s of /identity counted" test \
    "$(value "$T/m1.json" caravel_http_requests_total \
    '.route == "GET /identity" and .status == "401"')" = 2
# The parser keeps a histogram's buckets but drops its labels, so the
# series of one route is read from the text the parser accepted.
check "the parser reads the latency histogram" test \
    "$(jq -r '.caravel_http_request_duration_seconds.type' "$T/m1.json")" = HISTOGRAM
grep '^caravel_http_request_duration_seconds_bucket{route="GET /plans",' \
    "$T/m1.txt" | sed 's/.* //' > "$T/plans.buckets"
check "the latency histogram of GET /plans: 12 buckets, +Inf counts all 25" \
    test "$(wc -l < "$T/plans.buckets") $(tail -n 1 "$T/plans.buckets")" = "12 25"
check "... cumulative: each bucket at least the one before" \
    test "$(sort -n "$T/plans.buckets" | tr '\n' ' ')" = "$(tr '\n' ' ' < "$T/plans.buckets")"
check "... its count and sum" sh -c \
    "grep -q '^caravel_http_request_duration_seconds_count{route=\"GET /plans\"} 25$' '$T/m1.txt' &&
    grep -Eq '^caravel_http_request_duration_seconds_sum\\{route=\"GET /plans\"\\} [0-9]+\\.[0-9]{6}$' '$T/m1.txt'"
check "NIP-98 failures by reason: a missing header" test \
    "$(value "$T/m1.json" caravel_auth_failures_total '.reason == "missing"')" -ge 2
check "NIP-98 failures by reason: a token that is no event" test \
    "$(value "$T/m1.json" caravel_auth_failures_total \
    '.reason == "invalid_event"')" = 1

# The workers' last passes come from the database.
"$top_builddir/caravel-billing" --env-file "$ENV_FILE" > "$T/billing.out" 2>&1
check "an idle billing pass: exit 0, nothing printed" sh -c \
    "test $? -eq 0 && test ! -s '$T/billing.out'"
"$CARAVEL_ADMIN" --env-file "$ENV_FILE" metrics > "$T/m2.txt" 2> "$T/m2.err"
check "caravel-admin metrics: exit 0" test "$?" -eq 0
parse "$T/m2.txt" > "$T/m2.json"
check "caravel-admin metrics: the same counters as the API" test \
    "$(value "$T/m2.json" caravel_http_requests_total \
    '.route == "GET /plans" and .status == "200"')" = 25
check "... and the billing worker's last pass, ok" test \
    "$(value "$T/m2.json" caravel_worker_last_pass_ok '.worker == "billing"')" = 1
check "... when it ran" test \
    "$(value "$T/m2.json" caravel_worker_last_pass_timestamp_seconds \
    '.worker == "billing"')" -ge "$(($(date +%s) - 60))"
check "... and the queues" test \
    "$(jq -r '.caravel_dms_queued.metrics[0].value' "$T/m2.json")" = 0

# Counters live in the shared file: a restarted API keeps counting on.
stop_api
rm -f "$API_SOCK"
"$CARAVEL_API" --env-file "$ENV_FILE" -s "$API_SOCK" --socket-mode 0666 \
    -c 2 < /dev/null >> "$T/api.log" 2>&1 &
track_pid "$!"
wait_until 100 test -S "$API_SOCK" || bail "the API did not start again"
http GET /plans
http GET /metrics -H "Authorization: $ADMIN"
parse "$T/http.body" > "$T/m3.json"
check "after a restart the count goes on: 26" test \
    "$(value "$T/m3.json" caravel_http_requests_total \
    '.route == "GET /plans" and .status == "200"')" = 26

"$CARAVEL_ADMIN" --env-file "$ENV_FILE" status > "$T/status.txt" 2>&1
check "caravel-admin status: exit 0" test "$?" -eq 0
check "... the billing worker's last pass" \
    grep -Eq '^  billing +ok, [0-9]+s ago' "$T/status.txt"
check "... the queues and money owed" sh -c \
    "grep -q '^DMs: *0 queued' '$T/status.txt' &&
    grep -q '^invoices: 0 open, 0.00 still owed' '$T/status.txt'"
check_api_log
done_testing
