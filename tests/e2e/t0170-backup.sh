#!/bin/sh
# t0170-backup.sh: `caravel-admin backup FILE` is consistent while the API
# writes under load through nginx (each relay and its create_relay
# activity row are one transaction: a torn copy would show one without
# the other), never overwrites; `caravel-admin restore FILE` refuses while
# the API has the database open and replaces it once the API is stopped.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || bail "the sqlite3 shell is missing"
NOSTRCLI=$top_builddir/tests/nostrcli
[ -x "$NOSTRCLI" ] || bail "tests/nostrcli is not built"

admin()
{
	"$CARAVEL_ADMIN" --env-file "$ENV_FILE" "$@" > "$T/admin.out" 2>&1
	admin_rc=$?
}

start_api -c 4
start_nginx
seed_signer

# writer N: 150 relays, one request at a time; the status codes to a file.
writer()
{
	_w_i=0
	while [ "$_w_i" -lt 150 ]; do
		curl -q -s --noproxy '*' --max-time 20 -o /dev/null \
		    -w '%{http_code}\n' -H "Authorization: $AUTH" \
		    -H 'Content-Type: application/json' \
		    --data "{\"subdomain\": \"w$1-$_w_i\", \"plan\": \"free\"}" \
		    "$BASE/relays"
		_w_i=$((_w_i + 1))
	done > "$T/writer.$1"
}

any_alive()
{
	for _p in "$@"; do
		is_alive "$_p" && return 0
	done
	return 1
}

writers=
for n in 1 2 3; do
	writer "$n" &
	writers="$writers $!"
	track_pid "$!"
done
# Backups until the writers are done.
k=0
# shellcheck disable=SC2086 # a list of pids
while any_alive $writers; do
	k=$((k + 1))
	admin backup "$T/b$k.db"
	[ "$admin_rc" -eq 0 ] || { diag "$(cat "$T/admin.out")"; break; }
done
for p in $writers; do
	wait "$p"
done
check "writers: every POST /relays answered 201" \
    test "$(cat "$T"/writer.* | sort -u | tr '\n' ' ')" = "201 "
check "every backup succeeded ($k taken)" test "$admin_rc" -eq 0

counts=
torn=0
bad=0
i=1
while [ "$i" -le "$k" ]; do
	b=$T/b$i.db
	[ "$(sqlite3 "$b" 'PRAGMA integrity_check')" = ok ] || bad=$((bad + 1))
	[ -z "$(sqlite3 "$b" 'PRAGMA foreign_key_check')" ] || bad=$((bad + 1))
	r=$(sqlite3 "$b" "SELECT count(*) FROM relay")
	a=$(sqlite3 "$b" "SELECT count(*) FROM activity
	    WHERE activity_type = 'create_relay'")
	[ "$r" = "$a" ] || torn=$((torn + 1))
	counts="$counts $r"
	i=$((i + 1))
done
diag "relays in the backups:$counts"
check "every backup passes integrity_check and foreign_key_check" \
    test "$bad" -eq 0
check "no backup is torn: each relay has its activity row" test "$torn" -eq 0
check "backups were taken during the writes (at least two counts between 0 and 450)" \
    test "$(printf '%s\n' $counts | awk '$1 > 0 && $1 < 450' | sort -u |
    wc -l)" -ge 2
check "the database has all 450 relays" \
    test "$(sqlite3 "$DB" 'SELECT count(*) FROM relay')" = 450

admin backup "$T/b1.db"
check "backup onto an existing file: refused" test "$admin_rc" -eq 1
check "... saying it never overwrites" grep -q "never overwrites" "$T/admin.out"

# --- restore ---

admin restore "$T/b1.db"
check "restore while the API has the database open: refused" \
    test "$admin_rc" -eq 1
check "... saying it is in use and what to stop" \
    grep -q "is in use.*stop caravel-api" "$T/admin.out"
check "... and the database is unchanged" \
    test "$(sqlite3 "$DB" 'SELECT count(*) FROM relay')" = 450
printf 'not a database' > "$T/junk.db"
stop_nginx
stop_api
admin restore "$T/junk.db"
check "restore from a file that is not a backup: refused" \
    test "$admin_rc" -eq 1
check "... and the database is unchanged" \
    test "$(sqlite3 "$DB" 'SELECT count(*) FROM relay')" = 450
first=$(sqlite3 "$T/b1.db" 'SELECT count(*) FROM relay')
admin restore "$T/b1.db"
check "restore with the service stopped: exit 0" test "$admin_rc" -eq 0
check "the database is the backup's" \
    test "$(sqlite3 "$DB" 'SELECT count(*) FROM relay')" = "$first"
check "the restored database passes integrity_check" \
    test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
start_api
start_nginx
http GET /health
expect_status "the API on the restored database: /health" 200
check_api_log
done_testing
