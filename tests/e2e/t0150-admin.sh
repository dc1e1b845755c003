#!/bin/sh
# t0150-admin.sh: caravel-admin answers an operator's common questions
# (tenants, relays, a relay's activity) from the same SQLite file, and
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
    created_at, updated_at, sync_error, sync_failures)
    VALUES ('$RID', '$PK_A', 'alpha', 'alpha_00000000', 'basic', 'x',
    1796000100, 1796000100, '409 schema is in use', 2);
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
ROBOT_SECRET=zz admin check-config
check "check-config: a bad key fails" test "$admin_rc" -ne 0
check "check-config: the error names the variable" \
    grep -q ROBOT_SECRET "$T/admin.out"
ROBOT_OUTBOX_RELAYS="relay.example.com, ws://127.0.0.1:7" admin check-config
check "check-config: wss:// added to a relay without scheme" grep -q \
    '^ROBOT_OUTBOX_RELAYS=wss://relay.example.com,ws://127.0.0.1:7$' \
    "$T/admin.out"

done_testing
