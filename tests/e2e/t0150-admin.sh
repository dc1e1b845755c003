#!/bin/sh
# t0150-admin.sh: caravel-admin answers an operator's common questions
# (tenants, relays, one row whole, a relay's activity) from the same
# SQLite file, and
# check-config masks secrets and names a bad variable.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

admin()
{
	"$CARAVEL_ADMIN" --env-file "$ENV_FILE" "$@" > "$T/admin.out" 2>&1
	admin_rc=$?
}

migrate_db
PK_A=$(printf '%064d' 0 | sed 's/0$/a/')
PK_B=$(printf '%064d' 0 | sed 's/0$/b/')
RID=$(printf '%032d' 0 | sed 's/0$/1/')
sqlite3 "$DB" "
INSERT INTO tenant (pubkey, created_at, stripe_customer_id)
    VALUES ('$PK_A', 1796000000, 'cus_A'), ('$PK_B', 1796100000, NULL);
INSERT INTO relay (id, tenant, subdomain, schema, plan, secret_sealed,
    created_at, updated_at, sync_error, sync_failures, info_name)
    VALUES ('$RID', '$PK_A', 'alpha', 'alpha_00000000', 'basic', 'x',
    1796000100, 1796000100, '409 schema is in use', 2,
    'Alpha' || char(27) || '[2J');
INSERT INTO activity (tenant, created_at, activity_type, resource_type,
    resource_id) VALUES ('$PK_A', 1796000100, 'create_relay', 'relay', '$RID'),
    ('$PK_A', 1796000200, 'fail_relay_sync', 'relay', '$RID');" ||
    bail "cannot seed the database"

admin tenants
check "tenants: exit 0" test "$admin_rc" -eq 0
check "tenants: lists both" grep -q "$PK_B" "$T/admin.out"
check "tenants: newest first" sh -c \
    "grep -n '$PK_B' '$T/admin.out' | cut -d: -f1 | \
    { read b; grep -n '$PK_A' '$T/admin.out' | cut -d: -f1 | \
    { read a; [ \"\$b\" -lt \"\$a\" ]; }; }"
check "tenants: relay count and customer" \
    grep -Eq "^$PK_A +2026-[0-9-]+ +1 +no +cus_A" "$T/admin.out"

admin relays
check "relays: exit 0" test "$admin_rc" -eq 0
check "relays: the relay, its plan, status and sync error" \
    grep -Eq "^$RID +alpha +basic +active +no .*409 schema is in use" \
    "$T/admin.out"
admin relays "$PK_B"
check "relays TENANT: only that tenant's" sh -c "! grep -q alpha '$T/admin.out'"
admin relays not-a-pubkey
check "relays with a bad pubkey: usage, exit 2" test "$admin_rc" -eq 2

# show: every column of one row, named as the table (db.h) names them;
# the sealed key is not among them.
admin show relay "$RID"
check "show relay: exit 0" test "$admin_rc" -eq 0
check "show relay: hidden columns too, failures and version" sh -c \
    "grep -Eq '^sync_failures +2$' '$T/admin.out' &&
    grep -Eq '^version +1$' '$T/admin.out'"
check "show relay: times as dates" \
    grep -Eq '^created_at +1796000100  \(2026-[0-9-]+ [0-9:]+ UTC\)$' \
    "$T/admin.out"
check "show relay: a tenant's text without terminal controls" \
    grep -Eq '^info_name +Alpha\?\[2J$' "$T/admin.out"
check "show relay: a flag as yes/no, no secret" sh -c \
    "grep -Eq '^policy_public_join +no$' '$T/admin.out' &&
    ! grep -q secret '$T/admin.out'"
admin show tenant "$PK_B"
check "show tenant: no customer, no wallet" sh -c \
    "grep -Eq '^stripe_customer_id +-$' '$T/admin.out' &&
    grep -Eq '^nwc_is_set +no$' '$T/admin.out'"
admin show relay "$PK_B"
check "show of a key that names nothing: exit 1" test "$admin_rc" -eq 1
admin show plan free
check "show of an unknown kind: usage, exit 2" test "$admin_rc" -eq 2

admin activity "$RID"
check "activity: exit 0" test "$admin_rc" -eq 0
check "activity: newest first" sh -c \
    "head -n 1 '$T/admin.out' | grep -q fail_relay_sync"
check "activity: both rows" test "$(wc -l < "$T/admin.out")" -eq 2

admin check-config
check "check-config: exit 0" test "$admin_rc" -eq 0
check "check-config: the secret is masked" \
    grep -q '^ENCRYPTION_SECRET=(set, hidden)$' "$T/admin.out"
secret=$(sed -n 's/^ENCRYPTION_SECRET=//p' "$ENV_FILE")
check "check-config: the secret never appears" \
    sh -c "! grep -q '$secret' '$T/admin.out'"
cp "$T/admin.out" "$T/check-config.out"
admin -n
check "-n: the same as check-config" cmp -s "$T/admin.out" "$T/check-config.out"
ROBOT_SECRET=zz admin check-config
check "check-config: a bad key fails" test "$admin_rc" -ne 0
check "check-config: the error names the variable" \
    grep -q ROBOT_SECRET "$T/admin.out"
ROBOT_OUTBOX_RELAYS="relay.example.com, ws://127.0.0.1:7" admin check-config
check "check-config: wss:// added to a relay without scheme" grep -q \
    '^ROBOT_OUTBOX_RELAYS=wss://relay.example.com,ws://127.0.0.1:7$' \
    "$T/admin.out"

# --- what each program needs (-n fails before anything runs) ---

HOST=https://api.example.com/ admin check-config
check "check-config: HOST with a scheme fails" test "$admin_rc" -eq 1
check "check-config: ... saying what HOST should be" \
    grep -q "HOST: https://api.example.com/ is not a host name" "$T/admin.out"
HOST=api.example.com/v1 admin check-config
check "check-config: HOST with a path fails" test "$admin_rc" -eq 1
HOST=api.example.com:8443 admin check-config
check "check-config: HOST with a port is fine" test "$admin_rc" -eq 0

cp "$ENV_FILE" "$T/full.env"
grep -v '^ENCRYPTION_SECRET=' "$T/full.env" > "$ENV_FILE"
admin check-config
check "check-config without ENCRYPTION_SECRET fails" test "$admin_rc" -eq 1
check "check-config: ... naming it and why" \
    grep -q "ENCRYPTION_SECRET must be set: caravel-api needs" "$T/admin.out"
"$top_builddir/caravel-api" --env-file "$ENV_FILE" -n > "$T/api-n.out" 2>&1
check "caravel-api -n without ENCRYPTION_SECRET: exit 1" test "$?" -eq 1
cp "$T/full.env" "$ENV_FILE"

# worker_n PROGRAM: PROGRAM -n; output in $T/worker.out, status in $wn_rc.
worker_n()
{
	"$top_builddir/$1" --env-file "$ENV_FILE" -n > "$T/worker.out" 2>&1
	wn_rc=$?
}
worker_n caravel-infra
check "caravel-infra -n without ZOOID_API_URL: exit 1" test "$wn_rc" -eq 1
check "caravel-infra -n: names ZOOID_API_URL and ZOOID_API_SECRET" sh -c \
    "grep -q 'ZOOID_API_URL must be set: caravel-infra needs' '$T/worker.out' &&
    grep -q 'ZOOID_API_SECRET must be set' '$T/worker.out'"
"$top_builddir/caravel-infra" --env-file "$ENV_FILE" > "$T/worker.out" 2>&1
check "caravel-infra without ZOOID_API_URL does not run either" test "$?" -eq 1
worker_n caravel-robot
check "caravel-robot -n without indexer relays: exit 1" test "$wn_rc" -eq 1
check "caravel-robot -n: names ROBOT_INDEXER_RELAYS" \
    grep -q "ROBOT_INDEXER_RELAYS must be set: caravel-robot needs" \
    "$T/worker.out"
api_env "ZOOID_API_URL=http://127.0.0.1:9" "ZOOID_API_SECRET=$(random_hex32)" \
    "ROBOT_INDEXER_RELAYS=ws://127.0.0.1:9"
for prog in caravel-infra caravel-robot caravel-billing; do
	worker_n "$prog"
	check "$prog -n with what it needs: exit 0" test "$wn_rc" -eq 0
done

# --- every program speaks plainly ---

for prog in caravel-api caravel-admin caravel-infra caravel-robot \
    caravel-billing; do
	"$top_builddir/$prog" --help > "$T/help.out" 2> "$T/help.err"
	rc=$?
	check "$prog --help: exit 0" test "$rc" -eq 0
	check "$prog --help: the usage on stdout, nothing on stderr" sh -c \
	    "grep -q '^usage: $prog' '$T/help.out' && test ! -s '$T/help.err'"
	"$top_builddir/$prog" --version > "$T/help.out" 2>&1
	rc=$?
	check "$prog --version: exit 0, name and version" sh -c \
	    "test $rc -eq 0 && grep -Eq '^$prog [0-9]+\\.[0-9]+' '$T/help.out'"
	"$top_builddir/$prog" --no-such-option > "$T/help.out" 2>&1
	check "$prog with an unknown option: exit 2" test "$?" -eq 2
done
# Only the options a worker has are in its usage, and accepted.
for bad in "caravel-infra --all" "caravel-robot --all" \
    "caravel-robot --retry-failed" "caravel-billing --retry-failed"; do
	set -- $bad
	"$top_builddir/$1" --env-file "$ENV_FILE" "$2" > "$T/help.out" 2>&1
	rc=$?
	check "$bad: refused (exit 2), not ignored" test "$rc" -eq 2
	check "$bad: not in its usage" sh -c "! grep -q -- '$2' '$T/help.out'"
done
"$top_builddir/caravel-infra" --help > "$T/help.out"
check "caravel-infra's usage has --retry-failed" grep -q -- --retry-failed "$T/help.out"
"$top_builddir/caravel-billing" --help > "$T/help.out"
check "caravel-billing's usage has --all" grep -q -- --all "$T/help.out"

# --once-for names something that exists, as hex or npub.
NOBODY=$(pubkey_of "$(random_hex32)")
SOMEONE=$(pubkey_of "$(random_hex32)")
"$top_builddir/caravel-infra" --env-file "$ENV_FILE" \
    --once-for ffffffffffffffffffffffffffffffff > "$T/help.out" 2>&1
rc=$?
check "caravel-infra --once-for an unknown relay: exit 1" test "$rc" -eq 1
check "... saying so" grep -q "no relay has this id" "$T/help.out"
STRIPE_SECRET_KEY=sk_test_x "$top_builddir/caravel-billing" \
    --env-file "$ENV_FILE" --once-for "$NOBODY" > "$T/help.out" 2>&1
rc=$?
check "caravel-billing --once-for an unknown tenant: exit 1" test "$rc" -eq 1
check "... saying so" grep -q "no tenant has this public key" "$T/help.out"
"$top_builddir/caravel-robot" --env-file "$ENV_FILE" \
    --once-for "$("$top_builddir/tests/nostrcli" npub "$NOBODY")" \
    > "$T/help.out" 2>&1
rc=$?
check "caravel-robot --once-for an npub with nothing due: exit 1" \
    test "$rc" -eq 1
check "... saying so (the npub was understood)" \
    grep -q "no DM to this recipient is due" "$T/help.out"
admin dm "$SOMEONE" "hello"
check "a DM queued for the next test" test "$admin_rc" -eq 0
"$top_builddir/caravel-robot" --env-file "$ENV_FILE" \
    --once-for "$("$top_builddir/tests/nostrcli" npub "$SOMEONE")" \
    > "$T/help.out" 2>&1
check "caravel-robot --once-for the npub of a queued DM: that DM is tried" \
    grep -q "^caravel-robot: dm [0-9]* to $SOMEONE: not sent" "$T/help.out"

admin activity ffffffffffffffffffffffffffffffff
check "activity of an unknown relay: exit 1" test "$admin_rc" -eq 1
check "... saying no relay has that id" grep -q "no relay has the id" "$T/admin.out"
admin activity "$RID" many
check "activity with a bad LIMIT: says what was wrong" \
    grep -q "LIMIT must be a whole number" "$T/admin.out"
admin frobnicate
check "an unknown command: exit 2, named" sh -c \
    "test $admin_rc -eq 2 && grep -q 'there is no command \"frobnicate\"' '$T/admin.out'"

# An env file that exists but cannot be read is an error, not skipped: a
# directory in its place (which root cannot read either), and as another
# user one without read permission.
mkdir "$T/dir.env"
"$CARAVEL_ADMIN" --env-file "$T/dir.env" check-config > "$T/admin.out" 2>&1
check "an env file that is a directory: exit 1" test "$?" -eq 1
check "... naming the file and why" \
    grep -q "dir.env: Is a directory" "$T/admin.out"
if [ "$(id -u)" -ne 0 ]; then
	chmod 000 "$ENV_FILE"
	admin check-config
	check "an unreadable env file: exit 1" test "$admin_rc" -eq 1
	check "an unreadable env file: names it" \
	    grep -q "caravel.env: Permission denied" "$T/admin.out"
	chmod 600 "$ENV_FILE"
fi

done_testing
