#!/bin/sh
# t0230-lists.sh: the admin lists answer whole tables without growing the
# process that writes them (issue "Speed" §2). Through the real nginx, one
# FastCGI child: a short list comes whole with its Content-Length; a list
# of 20,000 relays streams in pieces and the child's peak memory stays
# where 1,000 relays left it; a child that dies halfway leaves the client
# with an unfinished transfer, never a short list that parses as whole.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
. "$top_srcdir/tests/e2e/lib.sh"

NOSTRCLI=$top_builddir/tests/nostrcli
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"
command -v sqlite3 > /dev/null 2>&1 || bail "sqlite3 is missing"
unset CARAVEL_TEST_NOW

# A sanitizer build keeps freed memory in quarantine, which would grow
# with every request; with none, its peak is what the child holds.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0
export ASAN_OPTIONS

ASK=$(random_hex32)
api_env "ADMINS=$(pubkey_of "$ASK")" RELAY_DOMAIN=relays.example.com
start_api -c 1
start_nginx
ADMIN=$("$NOSTRCLI" nip98-make "$ASK" http://127.0.0.1/ GET)
TPK=$(pubkey_of "$(random_hex32)")
sqlite3 "$DB" "INSERT INTO tenant (pubkey, created_at)
    VALUES ('$TPK', 1796000000)" || bail "cannot seed the tenant"

# seed FROM TO: relays FROM..TO of the tenant, by SQL.
seed()
{
	sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL
	        SELECT i + 1 FROM n WHERE i < $2)
	    INSERT INTO relay (id, tenant, subdomain, schema, plan, status,
	        secret_sealed, info_name, info_icon, info_description,
	        created_at, updated_at)
	    SELECT printf('%032x', i), '$TPK', 'list-' || i, 'list_' || i,
	        'free', 'active', 'sealed', 'Relay \"' || i || '\"',
	        'https://example.com/' || i || '.png',
	        'A relay of t0230, seeded by SQL.', 1796000000 + i,
	        1796000000 + i FROM n" || bail "cannot seed relays $1-$2"
}

# hwm: the FastCGI child's peak resident memory, in kB.
hwm()
{
	_kid=$(children_of "$API_PID" | head -n 1)
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$_kid/status"
}

# --- a short list: whole, with its length ---

seed 1 1000
http GET '/relays?limit=5' -H "Authorization: $ADMIN"
expect_status "GET /relays?limit=5 answers" 200
expect_jq "a page of 5 lists 5 relays" '.data | length == 5'
if has_header Content-Length && ! has_header Transfer-Encoding; then
	ok "a short list comes whole, with its Content-Length"
else
	fail "a short list comes whole, with its Content-Length" \
	    "$(cat "$T/http.headers")"
fi

# --- 10,000 then 30,000 relays: streamed, the child's peak unchanged ---

# The first long list fills SQLite's page cache (bounded, 2 MB by
# default); the second, three times as long, must not raise the peak.
seed 1001 10000
http GET /relays -H "Authorization: $ADMIN"
expect_status "GET /relays answers 10,000 relays" 200
expect_jq "the whole list of 10,000 relays" '.data | length == 10000'
before=$(hwm)
seed 10001 30000
http GET /relays -H "Authorization: $ADMIN"
expect_status "GET /relays answers 30,000 relays" 200
expect_jq "the whole list: 30,000 relays, each once" \
    '[.data[].id] | unique | length == 30000'
expect_jq "newest first, to the oldest" \
    '.data[0].id + " " + .data[29999].id == $want' \
    --arg want "$(printf '%032x %032x' 30000 1)"
expect_jq "text is escaped as JSON in the stream" \
    '.data[7].info_name == "Relay \"29993\""'
if has_header Transfer-Encoding && ! has_header Content-Length; then
	ok "a long list is sent in pieces as it is read"
else
	fail "a long list is sent in pieces as it is read" \
	    "$(cat "$T/http.headers")"
fi
bytes=$(wc -c < "$T/http.body")
after=$(hwm)
grow=$((after - before))
diag "30,000 relays: $bytes bytes; child VmHWM $before kB -> $after kB"
if [ -n "$before" ] && [ "$grow" -lt 512 ]; then
	ok "the child's peak memory grew $grow kB for a ${bytes}-byte list"
else
	fail "the child's peak memory stays flat while it streams" \
	    "VmHWM $before kB -> $after kB for $bytes bytes"
fi

# --- a stream of writes keeps the WAL short ---

# Each relay made through the API writes some 16 pages to the WAL (the
# row, its indexes, the activity, the tenant's mark); the writer whose
# commit passes 1,000 pages copies them back and starts the log over
# (src/db.h), with no worker running, so 400 relays (6,400 pages, 26 MB)
# leave a log of little more than 1,000 pages.
POSTH=$("$NOSTRCLI" nip98-make "$ASK" http://127.0.0.1/relays POST)
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
made=0
for i in $(seq 1 400); do
	code=$(curl -q -s --noproxy '*' --max-time 20 -o /dev/null \
	    -w '%{http_code}' -H "Authorization: $POSTH" \
	    -H 'Content-Type: application/json' --data "{\"subdomain\":
	    \"wal-$i\",\"plan\":\"free\",\"tenant\":\"$TPK\"}" \
	    "$BASE/relays")
	[ "$code" = 201 ] && made=$((made + 1))
done
wal=$(wc -c < "$DB-wal")
diag "400 relays made through the API: WAL $wal bytes"
if [ "$made" -eq 400 ] && [ "$wal" -lt $((1300 * 4120)) ]; then
	ok "400 writes leave a WAL under 1,300 pages ($wal bytes)"
else
	fail "400 writes leave a WAL under 1,300 pages" \
	    "$made of 400 made (201); WAL $wal bytes"
fi

# --- the child dies after the first piece ---

stop_api
CARAVEL_STOP_AT=api-list-sent
export CARAVEL_STOP_AT
start_api -c 1
unset CARAVEL_STOP_AT
curl -q -sS --noproxy '*' --max-time 20 -o "$T/cut.body" \
    -H "Authorization: $ADMIN" "$BASE/relays" 2> "$T/cut.err"
rc=$?
if [ "$rc" -ne 0 ] && ! jq -e . "$T/cut.body" > /dev/null 2>&1; then
	ok "a list cut short fails the transfer (curl $rc) and does not parse"
else
	fail "a list cut short fails the transfer and does not parse" \
	    "curl exit $rc, $(wc -c < "$T/cut.body") bytes"
fi
if grep -q 'stopping at api-list-sent' "$T/api.log"; then
	ok "the child stopped after the first piece (CARAVEL_STOP_AT)"
else
	fail "the child stopped after the first piece" "$(tail -n 5 "$T/api.log")"
fi
http GET '/relays?limit=3' -H "Authorization: $ADMIN"
expect_status "a short list still answers from the replacement child" 200

check_api_log
stop_nginx
done_testing
