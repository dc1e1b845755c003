#!/bin/sh
# t0700-infra.sh: caravel-infra run as cron runs it, against the fake zooid
# (tests/fakes/zooid.mjs, which checks NIP-98 with nostr-tools), then the
# database, the fake's stored configs and its request log are checked
# (spec/workers.md §1, issue "caravel-infra"). Also the members route and
# the plan-change member limit, through the API as plain CGI.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

missing()
{
	if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
		echo "FAIL: t0700: $1" >&2
		exit 1
	fi
	echo "SKIP: t0700: $1; the caravel-infra tests did NOT run" >&2
	exit 77
}
command -v node >/dev/null 2>&1 || missing "node is not installed"
[ -f "$top_srcdir/tests/js/node_modules/nostr-tools/package.json" ] ||
	missing "tests/js/node_modules is missing: run npm ci --prefix tests/js"
command -v sqlite3 >/dev/null 2>&1 || missing "the sqlite3 shell is missing"

. "$top_srcdir/tests/e2e/lib.sh"

NOSTRCLI=$top_builddir/tests/nostrcli
INFRA=$top_builddir/caravel-infra
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"
[ -x "$INFRA" ] || bail "caravel-infra is not built"
unset CARAVEL_TEST_NOW CARAVEL_STOP_AT

q()
{
	sqlite3 "$DB" "$1"
}

# qtrue SQL: the query answers a row.
qtrue()
{
	test -n "$(q "$1")"
}

ZSK=$(random_hex32)
ZPK=$(pubkey_of "$ZSK")
ENC=$(sed -n 's/^ENCRYPTION_SECRET=//p' "$ENV_FILE")
ENC_PK=$(pubkey_of "$ENC")
TSK=$(random_hex32)
TPK=$(pubkey_of "$TSK")

# --- the fake zooid ---

ZLOG=$T/zooid.log
: > "$ZLOG"
start_fake zooid "$top_srcdir/tests/fakes/zooid.mjs" ZOOID_FAKE_PORT=0 \
    "ZOOID_FAKE_WHITELIST=$ZPK" ZOOID_FAKE_ERA=D "ZOOID_FAKE_LOG=$ZLOG"
ZURL=http://127.0.0.1:$fake_port

control()
{
	curl -fsS -X POST -H 'Content-Type: application/json' -d "$1" \
	    "$ZURL/__control" > /dev/null || bail "zooid control $1 failed"
}

zstate()
{
	curl -fsS "$ZURL/__state"
}

# Requests the fake saw for a relay id (method and status per line).
zcalls()
{
	curl -fsS "$ZURL/__log" | jq -r --arg p "/relay/$1" \
	    '.[] | select(.path == $p) | "\(.method) \(.status)"'
}

api_env "ZOOID_API_URL=$ZURL" "ZOOID_API_SECRET=$ZSK" \
    RELAY_DOMAIN=relays.test HTTP_TIMEOUT=2
migrate_db

# seed_relay ID SUBDOMAIN: a relay of the tenant with a sealed fresh key,
# as POST /relays writes it.
seed_relay()
{
	_sk=$(random_hex32)
	_sealed=$(printf %s "$_sk" | "$NOSTRCLI" nip44-encrypt "$ENC" "$ENC_PK") ||
	    bail "cannot seal a relay key"
	q "INSERT INTO relay (id, tenant, subdomain, schema, plan, secret_sealed,
	    created_at, updated_at) VALUES ('$1', '$TPK', '$2',
	    '$(echo "$2" | tr - _)_$(echo "$1" | cut -c1-8)', 'basic',
	    '$_sealed', strftime('%s'), strftime('%s'))" ||
	    bail "cannot seed relay $1"
	eval "SK_$1=\$_sk"
}

infra()
{
	"$INFRA" --env-file "$ENV_FILE" "$@" > "$T/infra.out" 2>&1
	infra_rc=$?
}

q "INSERT INTO tenant (pubkey, created_at) VALUES ('$TPK', 1)"
R1=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
seed_relay "$R1" alpha

# --- dry run ---

infra --dry-run
check "dry run: exit 0" test "$infra_rc" -eq 0
check "dry run: says it would create the relay" \
    grep -q "relay $R1 (alpha): would create on zooid" "$T/infra.out"
check "dry run: zooid saw nothing" test -z "$(zcalls "$R1")"
check "dry run: the relay stays unsynced" test "$(q "SELECT synced FROM relay WHERE id = '$R1'")" = 0

# --- first sync: a create with the secret ---

infra
check "create: exit 0" test "$infra_rc" -eq 0
check "create: summary line" grep -Eq '^caravel-infra: 1 synced, 0 failed, 0 skipped in [0-9.]+s$' "$T/infra.out"
check "create: one POST answered 201" test "$(zcalls "$R1")" = "POST 201"
zstate > "$T/state.json"
expect_state()
{
	check "zooid config: $1" sh -c 'jq -e --arg id "$1" --arg t "$2" \
	    --arg sk "$3" ".relays[\$id] | $4" "$5" > /dev/null' - "$R1" "$TPK" \
	    "$SK_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" "$2" "$T/state.json"
}
expect_state "host is subdomain.RELAY_DOMAIN" '.host == "alpha.relays.test"'
expect_state "schema" '.schema == "alpha_aaaaaaaa"'
expect_state "the relay key, sent once as secret" '.secret == $sk'
expect_state "info.pubkey is the tenant" '.info.pubkey == $t'
expect_state "active" '.inactive == false'
expect_state "local blossom without S3 settings" '.blossom.adapter == "local"'
expect_state "the tenant can manage and invite" \
    '[.roles[] | select((.pubkeys | index($t)) and .can_manage and .can_invite)] | length == 1'
expect_state "members may invite (members_can_invite is on for a new relay)" \
    '.roles.member.can_invite == true'
check "create: synced = 1, zooid_created = 1" \
    test "$(q "SELECT synced, zooid_created, sync_error FROM relay WHERE id = '$R1'")" = "1|1|"
check "create: activity complete_relay_sync" \
    test "$(q "SELECT count(*) FROM activity WHERE resource_id = '$R1' AND activity_type = 'complete_relay_sync'")" = 1

# --- nothing to do: no HTTP call ---

before=$(curl -fsS "$ZURL/__log" | jq length)
infra
check "idle pass: exit 0 and prints nothing (cron would mail it)" \
    test ! -s "$T/infra.out"
infra -v
check "idle pass with -v: the summary, 0 synced" \
    grep -q '^caravel-infra: 0 synced, 0 failed, 0 skipped' "$T/infra.out"
check "idle pass: no request to zooid" test "$(curl -fsS "$ZURL/__log" | jq length)" = "$before"

# --- the flags Flotilla edits, on a zooid that reads them (era E) ---

control '{"era": "E"}'
q "UPDATE relay SET policy_public_read = 1, policy_public_write = 1,
    members_can_invite = 0, synced = 0, version = version + 1 WHERE id = '$R1'"
infra
check "flags: a PATCH" test "$(zcalls "$R1" | tail -n 1)" = "PATCH 200"
zstate > "$T/state.json"
expect_state "policy.public_read and policy.public_write on" \
    '.policy.public_read == true and .policy.public_write == true'
expect_state "members may no longer invite; the owner still may" \
    '.roles.member.can_invite == false and .roles.owner.can_invite == true'
check "flags: zooid read every key sent" test "$(curl -fsS "$ZURL/__log" |
    jq -c '[.[] | select(.method == "PATCH")] | last | .unknown_keys')" = "[]"
control '{"era": "D"}'

# --- a change: PATCH with the full body ---

q "UPDATE relay SET status = 'inactive', synced = 0, version = version + 1 WHERE id = '$R1'"
infra
check "update: exit 0" test "$infra_rc" -eq 0
check "update: a PATCH" test "$(zcalls "$R1" | tail -n 1)" = "PATCH 200"
check "update: zooid has the relay inactive" \
    test "$(zstate | jq -r --arg id "$R1" '.relays[$id].inactive')" = true
q "UPDATE relay SET status = 'delinquent', synced = 0, version = version + 1 WHERE id = '$R1'"
infra
check "delinquent is inactive on zooid too" \
    test "$(zstate | jq -r --arg id "$R1" '.relays[$id].inactive')" = true

# --- kill -9 after zooid accepted the create, before the database write ---

R2=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2
seed_relay "$R2" beta
CARAVEL_STOP_AT=infra-after-create infra
check "crash: the pass was killed" test "$infra_rc" -eq 137
check "crash: zooid has the relay" test "$(zcalls "$R2")" = "POST 201"
check "crash: the database does not know yet" \
    test "$(q "SELECT synced, zooid_created FROM relay WHERE id = '$R2'")" = "0|0"
infra
check "after the crash: exit 0, 1 synced, 0 failed" \
    grep -q '^caravel-infra: 1 synced, 0 failed' "$T/infra.out"
check "after the crash: POST found it (409), then PATCH" \
    test "$(zcalls "$R2" | tr '\n' ' ')" = "POST 201 POST 409 PATCH 200 "
check "after the crash: one relay on zooid, synced" \
    test "$(q "SELECT synced, zooid_created, sync_error FROM relay WHERE id = '$R2'")" = "1|1|"

# --- a full disk: zooid takes the create, the record cannot be written ---

R9=99999999999999999999999999999999
seed_relay "$R9" full
: > "$T/disk-full"
CARAVEL_TEST_DISK_FULL=$T/disk-full infra
rm -f "$T/disk-full"
check "disk full: the pass exits 1" test "$infra_rc" -eq 1
check "disk full: it says the database could not be written" \
    grep -q 'could not be written .*(disk full or failing)' "$T/infra.out"
check "disk full: zooid has the relay" test "$(zcalls "$R9")" = "POST 201"
check "disk full: nothing half-recorded" \
    test "$(q "SELECT synced, zooid_created, sync_failures FROM relay WHERE id = '$R9'")" = "0|0|0"
CARAVEL_TEST_DISK_FULL=$T/disk-full infra
check "space back: exit 0, the relay synced" test "$infra_rc" -eq 0
check "space back: POST found it (409), then PATCH" \
    test "$(zcalls "$R9" | tr '\n' ' ')" = "POST 201 POST 409 PATCH 200 "
check "space back: recorded once" \
    test "$(q "SELECT synced, zooid_created, sync_error FROM relay WHERE id = '$R9'")" = "1|1|"
check "space back: the file is intact" test "$(q 'PRAGMA integrity_check')" = ok

# --- zooid lost a relay: PATCH 404, then POST with the secret ---

control "{\"forget_relays\": [\"$R2\"]}"
q "UPDATE relay SET synced = 0, version = version + 1 WHERE id = '$R2'"
infra
check "lost relay: PATCH 404 then POST 201" \
    test "$(zcalls "$R2" | tail -n 2 | tr '\n' ' ')" = "PATCH 404 POST 201 "
check "lost relay: synced again" test "$(q "SELECT synced FROM relay WHERE id = '$R2'")" = 1

# --- two passes at once: one does the work ---

R3=ccccccccccccccccccccccccccccccc3
seed_relay "$R3" gamma
control '{"delay_ms": 1500, "delay_count": 1}'
"$INFRA" --env-file "$ENV_FILE" > "$T/infra-a.out" 2>&1 &
a_pid=$!
track_pid "$a_pid"
sleep 0.5
infra
check "overlap: the second pass exits 0 at once" test "$infra_rc" -eq 0
check "overlap: the second pass says another holds the lock" \
    grep -q 'another infra pass holds' "$T/infra.out"
wait "$a_pid"
a_rc=$?
untrack_pid "$a_pid"
check "overlap: the first pass synced the relay" test "$a_rc" -eq 0
check "overlap: one POST for the relay" test "$(zcalls "$R3")" = "POST 201"

# --- zooid failing: recorded, retried with backoff, stops after 6 ---

R4=ddddddddddddddddddddddddddddddd4
seed_relay "$R4" delta
control '{"fail_next": 500, "fail_error": "database is locked"}'
now=$(date +%s)
infra
check "500: the pass finishes with exit 0 (deferred)" test "$infra_rc" -eq 0
check "500: summary counts a failure" grep -q '^caravel-infra: 0 synced, 1 failed' "$T/infra.out"
check "500: sync_error says why" \
    qtrue "SELECT 1 FROM relay WHERE id = '$R4' AND sync_error LIKE '%500%database is locked%'" 
check "500: sync_error is set" \
    test -n "$(q "SELECT sync_error FROM relay WHERE id = '$R4'")"
check "500: one failure, retry in 30 s" \
    test "$(q "SELECT sync_failures, sync_retry_at - $now BETWEEN 29 AND 32 FROM relay WHERE id = '$R4'")" = "1|1"
check "500: activity fail_relay_sync" \
    test "$(q "SELECT count(*) FROM activity WHERE resource_id = '$R4' AND activity_type = 'fail_relay_sync'")" = 1
infra -v
check "backoff: not retried before its time" grep -q '^caravel-infra: 0 synced, 0 failed' "$T/infra.out"
control '{"fail_next": 500}'
CARAVEL_TEST_NOW=$((now + 31)) infra
check "backoff: the second failure waits 60 s" \
    test "$(q "SELECT sync_failures, sync_retry_at - $((now + 31)) FROM relay WHERE id = '$R4'")" = "2|60"
q "UPDATE relay SET sync_failures = 5, sync_retry_at = 0 WHERE id = '$R4'"
control '{"fail_next": 500}'
infra
check "6th failure: retries stop" \
    test "$(q "SELECT sync_failures, sync_retry_at IS NULL FROM relay WHERE id = '$R4'")" = "6|1"
CARAVEL_TEST_NOW=$((now + 100000)) infra -v
check "after 6 failures: not retried, even much later" \
    grep -q '^caravel-infra: 0 synced, 0 failed' "$T/infra.out"
infra --retry-failed
check "--retry-failed: synced" grep -q '^caravel-infra: 1 synced, 0 failed' "$T/infra.out"
check "--retry-failed: state healthy" \
    test "$(q "SELECT synced, sync_error, sync_failures FROM relay WHERE id = '$R4'")" = "1||0"

# --- zooid down: every relay says why, the pass ends ---

R5=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee5
seed_relay "$R5" epsilon
api_env "ZOOID_API_URL=http://127.0.0.1:$(free_port)"
infra
check "zooid down: exit 0 (retried later)" test "$infra_rc" -eq 0
check "zooid down: sync_error recorded" \
    test -n "$(q "SELECT sync_error FROM relay WHERE id = '$R5'")"
api_env "ZOOID_API_URL=$ZURL"

# --- a real conflict: another relay on zooid has the host ---

control "{\"seed_relays\": {\"zzzzzzzz\": {\"host\": \"epsilon.relays.test\", \"schema\": \"other\"}}}"
q "UPDATE relay SET sync_retry_at = 0 WHERE id = '$R5'"
infra
check "conflict: exit 1 (an operator must look)" test "$infra_rc" -eq 1
check "conflict: sync_error names the host" \
    qtrue "SELECT 1 FROM relay WHERE id = '$R5' AND sync_error LIKE '%epsilon.relays.test%'"
check "conflict: the error is in the relay" \
    test -n "$(q "SELECT 1 FROM relay WHERE id = '$R5' AND sync_error LIKE '%already in use%'")"

# --- members, through the API as CGI ---

AUTH=$("$NOSTRCLI" nip98-make "$TSK" http://127.0.0.1/ GET)
# The API as plain CGI sees only what cgi passes: the zooid settings too.
ZENV="ZOOID_API_URL=$ZURL ZOOID_API_SECRET=$ZSK"
members()
{
	# shellcheck disable=SC2086
	cgi GET "/relays/$1/members" "HTTP_AUTHORIZATION=$AUTH" $ZENV
}
control "{\"members_add\": {\"$R1\": [\"$(printf '%064d' 7)\"]}}"
members "$R1"
expect_status "members: 200" 200
expect_jq "members: zooid's list, with the added member" \
    "(.data.members | index(\"$(printf '%064d' 7)\")) != null"
R6=fffffffffffffffffffffffffffffff6
seed_relay "$R6" zeta
n=$(curl -fsS "$ZURL/__log" | jq length)
members "$R6"
expect_status "members of a never-synced relay: 200" 200
expect_jq "members of a never-synced relay: empty" '.data.members == []'
check "members of a never-synced relay: zooid not called" \
    test "$(curl -fsS "$ZURL/__log" | jq length)" = "$n"
control '{"fail_next": 500}'
members "$R1"
expect_json_error "members: zooid failing" 502 zooid-error

# --- a plan change below the member count ---

i=0
list=
while [ "$i" -lt 12 ]; do
	list="$list\"$(printf '%063d%x' 0 "$i" | tail -c 64)\","
	i=$((i + 1))
done
control "{\"members_add\": {\"$R1\": [${list%,}]}}"
count=$(zstate | jq -r --arg id "$R1" '.members[$id] | length')
printf '{"plan":"free"}' > "$T/put.json"
# shellcheck disable=SC2086
CGI_STDIN=$T/put.json cgi PUT "/relays/$R1" "HTTP_AUTHORIZATION=$AUTH" \
    CONTENT_LENGTH=15 CONTENT_TYPE=application/json $ZENV
CGI_STDIN=/dev/null
expect_json_error "plan change below the member count" 422 member-limit-exceeded
expect_jq "the sentence gives both numbers" \
    ".error | test(\"$count\") and test(\"10\")"
check "the plan is unchanged" test "$(q "SELECT plan FROM relay WHERE id = '$R1'")" = basic

done_testing
