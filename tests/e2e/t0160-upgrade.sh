#!/bin/sh
# t0160-upgrade.sh: only `caravel-admin migrate` creates or changes the
# schema. The API and the workers refuse a missing database (a typo in
# DATABASE_URL is not a new, empty one) and an older schema, each with a
# sentence that says what to do; migrate backs the database up first; a
# running API keeps answering while a later migration (one that only adds)
# is applied under it, and a fresh API process starts on the newer schema.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || bail "the sqlite3 shell is missing"
NOSTRCLI=$top_builddir/tests/nostrcli
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"

# run PROGRAM [ARG...]: one run with the test's env file; output in
# $T/run.out, exit status in $run_rc.
run()
{
	_r_prog=$1
	shift
	"$top_builddir/$_r_prog" --env-file "$ENV_FILE" "$@" > "$T/run.out" 2>&1
	run_rc=$?
}

# What the workers need to start at all (the addresses are never called).
api_env "ZOOID_API_URL=http://127.0.0.1:9" "ZOOID_API_SECRET=$(random_hex32)" \
    "ROBOT_INDEXER_RELAYS=ws://127.0.0.1:9"

# --- a typo in DATABASE_URL ---

good_db=$DB
DB=$T/typo/caravel.db
mkdir -p "$T/typo"
sed -i "s|^DATABASE_URL=.*|DATABASE_URL=sqlite://$DB|" "$ENV_FILE"
for prog in caravel-infra caravel-billing caravel-robot; do
	run "$prog"
	check "$prog on a missing database: exit 1" test "$run_rc" -eq 1
	check "$prog on a missing database: says migrate creates it" \
	    grep -q "does not exist.*caravel-admin migrate" "$T/run.out"
done
run caravel-admin tenants
check "caravel-admin tenants on a missing database: exit 1" \
    test "$run_rc" -eq 1
cgi GET /health
expect_status "the API on a missing database: /health 503" 503
check "the API on a missing database: the log says why" \
    grep -q "does not exist: check DATABASE_URL" "$T/api.log"
check "nothing created a database file" \
    test -z "$(ls -A "$T/typo")"
DB=$good_db
sed -i "s|^DATABASE_URL=.*|DATABASE_URL=sqlite://$DB|" "$ENV_FILE"

# --- a database of the first release (migration 1 only) ---

sqlite3 "$DB" < "$top_srcdir/db/migrations/0001_init.sql" ||
    bail "cannot apply 0001_init.sql"
sqlite3 "$DB" "PRAGMA user_version = 1; PRAGMA journal_mode = WAL;" \
    > /dev/null || bail "cannot set the version"
sqlite3 "$DB" "INSERT INTO tenant (pubkey, created_at)
    VALUES ('$(printf '%064d' 1)', 1796000000)" || bail "cannot seed"
latest=$(find "$top_srcdir/db/migrations" -name '[0-9]*.sql' |
    sed 's|.*/0*||; s|_.*||' | sort -n | tail -n 1)

run caravel-infra
check "a worker on schema 1: exit 1" test "$run_rc" -eq 1
check "a worker on schema 1: names the versions and the command" \
    grep -q "schema version 1; this program needs $latest: run \`caravel-admin migrate\`" \
    "$T/run.out"
check "a worker on schema 1: changed nothing" \
    test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 1
cgi GET /health
expect_status "the API on schema 1: /health 503" 503
check "the API on schema 1: changed nothing" \
    test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 1

run caravel-admin migrate
check "migrate: exit 0" test "$run_rc" -eq 0
check "migrate: now at the latest schema" \
    test "$(sqlite3 "$DB" 'PRAGMA user_version')" = "$latest"

# Every file of db/migrations is built in: numbered 1..N with no gap, and
# the migrated schema is exactly the one the files make, applied in order
# by sqlite3 itself.
check "the migrations are numbered 1 to $latest without a gap" \
    test "$(find "$top_srcdir/db/migrations" -name '[0-9]*.sql' |
    sed 's|.*/0*||; s|_.*||' | sort -n | tr '\n' ' ')" = \
    "$(seq 1 "$latest" | tr '\n' ' ')"
for f in $(find "$top_srcdir/db/migrations" -name '[0-9]*.sql' | sort); do
	sqlite3 "$T/by-hand.db" < "$f" > /dev/null 2>&1 ||
	    bail "sqlite3 cannot apply $f"
done
sqlite3 "$T/by-hand.db" .schema > "$T/schema.by-hand"
sqlite3 "$DB" .schema > "$T/schema.migrated"
check "the migrated schema is what every migration file makes" \
    cmp -s "$T/schema.by-hand" "$T/schema.migrated"
backup=$(sed -n 's/^backed up the database to //; s/ first$//p' "$T/run.out")
check "migrate: says where it backed up to" test -f "$backup"
check "the backup is the database before: schema 1 and its tenant" \
    test "$(sqlite3 "$backup" 'PRAGMA user_version; SELECT count(*) FROM tenant' |
    tr '\n' ' ')" = "1 1 "
check "the tenant survived the migration" \
    test "$(sqlite3 "$DB" 'SELECT count(*) FROM tenant')" = 1
run caravel-admin migrate
check "migrate again: nothing to do, no second backup" \
    sh -c "! grep -q 'backed up' '$T/run.out'"

# --- a later migration under the running API ---

start_api -m 1000
start_nginx
seed_signer
http GET /health
expect_status "API on the migrated database: /health" 200

# What a future 0003 may do (db/migrations/README): add a column and a
# table. The running API was built before it.
sqlite3 "$DB" "BEGIN IMMEDIATE;
ALTER TABLE relay ADD COLUMN later_column TEXT;
CREATE TABLE later_table (id INTEGER PRIMARY KEY);
PRAGMA user_version = $((latest + 1));
COMMIT;" || bail "cannot apply the later migration"

http GET /health
expect_status "after a later migration: the running API's /health" 200
http GET /plans
expect_status "after a later migration: GET /plans" 200
http POST /relays -H "Authorization: $AUTH" \
    -H 'Content-Type: application/json' \
    --data '{"subdomain": "later", "plan": "free"}'
expect_status "after a later migration: POST /relays writes" 201
check "... and the relay is in the database" \
    test "$(sqlite3 "$DB" "SELECT count(*) FROM relay WHERE subdomain = 'later'")" = 1
stop_api
rm -f "$API_SOCK"
"$CARAVEL_API" --env-file "$ENV_FILE" -s "$API_SOCK" --socket-mode 0666 \
    -c 2 < /dev/null >> "$T/api.log" 2>&1 &
_api_pid=$!
track_pid "$_api_pid"
wait_until 100 test -S "$API_SOCK" || bail "the API did not start again"
http GET /health
expect_status "a new API process on the newer schema: /health" 200
run caravel-robot
check "a worker on the newer schema: exit 0" test "$run_rc" -eq 0
run caravel-admin migrate
check "an older caravel-admin migrate on a newer schema: refused" \
    test "$run_rc" -eq 1
check "... saying the schema is newer than it knows" \
    grep -q "newer than this program knows" "$T/run.out"
check_api_log
done_testing
