# tests/e2e/lib.sh: what the shell tests share. Sourced, not run:
#
#	. "$top_srcdir/tests/e2e/lib.sh"
#	start_api; start_nginx
#	http GET /health
#	expect_status "GET /health" 200
#	done_testing
#
# It makes a private temporary directory $T, records every process it
# starts and stops each of them by pid when the test exits, however it
# exits. Results are printed as "ok N - what" / "not ok N - what" lines and
# a closing "N passed, N failed"; the exit status is 0 only if at least one
# check ran and none failed, 99 (automake's ERROR) if the harness itself
# could not run. $top_srcdir and $top_builddir are absolute paths exported
# by "make check"; run by hand from a built source tree they default to it.
# KEEP_TMP=1 keeps $T for a look afterwards.
#
# shellcheck disable=SC2034 # variables set here are read by the tests

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir

CARAVEL_API=$top_builddir/caravel-api
CARAVEL_ADMIN=$top_builddir/caravel-admin
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

_t_n=0
_t_pass=0
_t_fail=0
_t_done=0
_t_pids=
T=

# --- results ---

diag()
{
	printf '# %s\n' "$*"
}

ok()
{
	_t_n=$((_t_n + 1))
	_t_pass=$((_t_pass + 1))
	printf 'ok %d - %s\n' "$_t_n" "$1"
}

# fail DESC [DETAIL...]: each DETAIL is printed as a "#" line below.
fail()
{
	_t_n=$((_t_n + 1))
	_t_fail=$((_t_fail + 1))
	printf 'not ok %d - %s\n' "$_t_n" "$1"
	shift
	for _d in "$@"; do
		printf '%s\n' "$_d" | sed 's/^/#   /'
	done
}

# check DESC CMD...: ok if CMD succeeds.
check()
{
	_c_desc=$1
	shift
	if "$@"; then
		ok "$_c_desc"
	else
		fail "$_c_desc" "command failed: $*"
	fi
}

# The harness cannot go on (a binary is missing, a server will not start):
# stop with automake's hard-error status so this never reads as a SKIP.
bail()
{
	printf 'Bail out! %s\n' "$*"
	_t_done=1
	exit 99
}

done_testing()
{
	_t_done=1
	stop_api
	check_api_log
	printf '%d passed, %d failed\n' "$_t_pass" "$_t_fail"
	if [ "$_t_fail" -ne 0 ]; then
		exit 1
	fi
	if [ "$_t_pass" -eq 0 ]; then
		echo "no check ran"
		exit 99
	fi
	exit 0
}

# --- processes ---

track_pid()
{
	_t_pids="$_t_pids $1"
}

untrack_pid()
{
	_t_pids=$(for _p in $_t_pids; do
		[ "$_p" = "$1" ] || printf ' %s' "$_p"
	done)
}

# Running and not a zombie: children orphaned to PID 1 can stay <defunct>
# for a while, and a zombie of ours stays until we wait for it.
is_alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}

# Live children of a pid, one per line.
children_of()
{
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$1" '{
		pid = $1
		s = $0
		sub(/^.*\) /, "", s)
		split(s, f, " ")
		if (f[2] == pp && f[1] != "Z" && f[1] != "X")
			print pid
	}'
}

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds; fails
# after TENTHS tries.
wait_until()
{
	_w_n=$1
	shift
	while [ "$_w_n" -gt 0 ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.1
		_w_n=$((_w_n - 1))
	done
	return 1
}

_not_alive()
{
	! is_alive "$1"
}

# stop_pid PID [SIGNAL]: signal (default TERM), wait up to 10 s, then
# SIGKILL; the process's children, taken before and after the signal, go
# the same way. Only pids this test started come here.
stop_pid()
{
	_s_pid=$1
	_s_kids=$(children_of "$_s_pid")
	kill "-${2:-TERM}" "$_s_pid" 2>/dev/null
	if ! wait_until 100 _not_alive "$_s_pid"; then
		diag "pid $_s_pid ignored SIG${2:-TERM}; killing it"
		kill -KILL "$_s_pid" 2>/dev/null
	fi
	_s_kids="$_s_kids $(children_of "$_s_pid")"
	for _k in $_s_kids; do
		if ! wait_until 50 _not_alive "$_k"; then
			diag "child $_k of $_s_pid outlived it; killing it"
			kill -KILL "$_k" 2>/dev/null
		fi
	done
	wait "$_s_pid" 2>/dev/null
	untrack_pid "$_s_pid"
}

_t_cleanup()
{
	_rc=$?
	trap - EXIT HUP INT TERM
	for _p in $_t_pids; do
		stop_pid "$_p"
	done
	if [ "$_t_done" -eq 0 ]; then
		printf 'Bail out! the test stopped early (status %d)\n' "$_rc"
		printf '%d passed, %d failed\n' "$_t_pass" "$((_t_fail + 1))"
		[ "$_rc" -eq 0 ] && _rc=99
	fi
	if [ "$_rc" -ne 0 ] && [ -n "$T" ]; then
		for _f in "$T/api.log" "$T/nginx/error.log" "$T/admin.log"; do
			if [ -s "$_f" ]; then
				diag "last lines of ${_f#"$T"/}:"
				tail -n 20 "$_f" | sed 's/^/#   /'
			fi
		done
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -n "${KEEP_TMP:-}" ]; then
			diag "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$_rc"
}

trap _t_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- environment ---

# Settings from the caller's environment must not leak into the programs
# under test: only what a test writes into its env file counts.
for _v in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
	case $_v in
	DATABASE_URL|HOST|PORT|ADMINS|ALLOW_ORIGINS|RELAY_DOMAIN|NWC_URL|\
	ENCRYPTION_SECRET|RESERVED_SUBDOMAINS|STRIPE_*|ROBOT_*|BLOSSOM_*|\
	LIVEKIT_*|ZOOID_*|BTC_PRICE_*|AUTH_*|MAX_BODY*)
		unset "$_v" ;;
	esac
done
LC_ALL=C
export LC_ALL

# nginx workers started by root run as "nobody", which must be able to
# enter $T to reach the API socket; nothing secret lives here.
T=$(mktemp -d "${TMPDIR:-/tmp}/caravel-e2e.XXXXXX") || bail "mktemp failed"
chmod 0755 "$T"
mkdir "$T/run"
chmod 0755 "$T/run"

for _b in "$CARAVEL_API" "$CARAVEL_ADMIN"; do
	[ -x "$_b" ] || bail "$_b is not built (run make first)"
done
for _b in curl jq; do
	command -v "$_b" >/dev/null 2>&1 ||
	    bail "$_b is missing (scripts/caravel-local deps installs it)"
done

random_hex32()
{
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# pubkey_of SK: the nostr public key of the secret key SK (tests/nostrcli).
pubkey_of()
{
	echo '{"kind":1,"created_at":1,"tags":[],"content":""}' |
	    "$top_builddir/tests/nostrcli" sign "$1" | jq -r .pubkey
}

# seed_signer: a fresh key TSK with public key TPK, a tenant row for it in
# $DB, and AUTH, a session-style NIP-98 header of it for HOST 127.0.0.1.
seed_signer()
{
	TSK=$(random_hex32)
	TPK=$(pubkey_of "$TSK")
	sqlite3 "$DB" "INSERT INTO tenant (pubkey, created_at)
	    VALUES ('$TPK', 1796000000)" || bail "cannot seed the tenant"
	AUTH=$("$top_builddir/tests/nostrcli" nip98-make "$TSK" \
	    http://127.0.0.1/ GET)
}

DB=$T/caravel.db
ENV_FILE=$T/caravel.env
{
	echo "DATABASE_URL=sqlite://$DB"
	echo "HOST=127.0.0.1"
	echo "ENCRYPTION_SECRET=$(random_hex32)"
	echo "ROBOT_SECRET=$(random_hex32)"
} > "$ENV_FILE"

# api_env KEY=VALUE...: set (or replace) settings in $ENV_FILE; takes
# effect at the next start_api.
api_env()
{
	for _kv in "$@"; do
		_key=${_kv%%=*}
		grep -v "^$_key=" "$ENV_FILE" > "$ENV_FILE.new"
		printf '%s\n' "$_kv" >> "$ENV_FILE.new"
		mv "$ENV_FILE.new" "$ENV_FILE"
	done
}

# --- fakes and the test relay ---

_fake_port()
{
	sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$T/$1.out" | head -n 1
}

_fake_up()
{
	[ -n "$(_fake_port "$1")" ]
}

# start_fake NAME SCRIPT [VAR=VALUE...]: run a Node peer (tests/fakes/*,
# tests/relay/relay.mjs) that prints "listening PORT" once it serves, with
# the given environment; its output goes to $T/NAME.out and .err. Sets
# fake_pid and fake_port; the cleanup trap stops it.
start_fake()
{
	_sf_name=$1
	_sf_script=$2
	shift 2
	env "$@" node "$_sf_script" < /dev/null > "$T/$_sf_name.out" \
	    2> "$T/$_sf_name.err" &
	fake_pid=$!
	track_pid "$fake_pid"
	wait_until 100 _fake_up "$_sf_name" ||
	    bail "$_sf_name did not start: $(cat "$T/$_sf_name.err")"
	fake_port=$(_fake_port "$_sf_name")
}

# --- caravel-api ---

API_SOCK=$T/run/api.sock
_api_pid=

# start_api [OPTION...]: migrate $DB with caravel-admin (idempotent, so a
# second start reuses the same database), then run caravel-api on
# $API_SOCK as in production: it binds the socket and pre-forks children.
# OPTIONs are added to its command line (e.g. -m 5).
start_api()
{
	[ -z "$_api_pid" ] || bail "start_api: the API is already running"
	migrate_db
	rm -f "$API_SOCK"
	"$CARAVEL_API" --env-file "$ENV_FILE" -s "$API_SOCK" \
	    --socket-mode 0666 -c 2 "$@" < /dev/null >> "$T/api.log" 2>&1 &
	_api_pid=$!
	track_pid "$_api_pid"
	API_PID=$_api_pid
	if ! wait_until 100 test -S "$API_SOCK"; then
		bail "caravel-api did not create $API_SOCK within 10 s"
	fi
	is_alive "$_api_pid" || bail "caravel-api exited at start"
}

_api_has_children()
{
	[ -n "$(children_of "$_api_pid")" ]
}

# start_api_fd0 [OPTION...]: the way systemd's socket activation
# (systemd/caravel-api.socket, StandardInput=socket) and spawn-fcgi start
# it: someone else binds $API_SOCK and hands it over as fd 0; -c 2 makes
# the program pre-fork two children on it.
start_api_fd0()
{
	[ -z "$_api_pid" ] || bail "start_api_fd0: the API is already running"
	command -v spawn-fcgi >/dev/null 2>&1 ||
	    bail "spawn-fcgi is missing (scripts/caravel-local deps installs it)"
	migrate_db
	rm -f "$API_SOCK"
	# -n: spawn-fcgi binds, then execs the program in its own place.
	spawn-fcgi -n -s "$API_SOCK" -M 0666 -- "$CARAVEL_API" \
	    --env-file "$ENV_FILE" -c 2 "$@" < /dev/null >> "$T/api.log" 2>&1 &
	_api_pid=$!
	track_pid "$_api_pid"
	API_PID=$_api_pid
	if ! wait_until 100 test -S "$API_SOCK"; then
		bail "spawn-fcgi did not create $API_SOCK within 10 s"
	fi
	wait_until 100 _api_has_children ||
	    bail "caravel-api on fd 0 started no children"
}

# migrate_db: create or migrate $DB with caravel-admin (idempotent).
migrate_db()
{
	"$CARAVEL_ADMIN" --env-file "$ENV_FILE" migrate >> "$T/admin.log" 2>&1 ||
	    bail "caravel-admin migrate failed (see admin.log)"
}

# stop_api: SIGTERM to the parent stops it and its children.
stop_api()
{
	[ -n "$_api_pid" ] || return 0
	stop_pid "$_api_pid"
	_api_pid=
}

# A build with --enable-sanitizers reports to stderr, which is api.log
# (CGI runs and the FastCGI server alike): any report fails the test.
check_api_log()
{
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
	    -e 'ERROR: LeakSanitizer' "$T/api.log" 2>/dev/null; then
		fail "caravel-api ran without sanitizer reports" \
		    "$(grep -m 5 -e 'Sanitizer' -e 'runtime error:' "$T/api.log")"
	fi
}

# --- nginx ---

# free_port: a loopback TCP port nobody uses now, below the ephemeral
# range so outgoing connections do not take it meanwhile. A race with
# another program remains; start_nginx retries on a bind failure.
free_port()
{
	_fp_i=0
	while [ "$_fp_i" -lt 100 ]; do
		_fp=$(od -An -tu2 -N2 /dev/urandom | tr -d ' \n')
		_fp=$((20000 + _fp % 12000))
		_fp_hex=$(printf '%04X' "$_fp")
		if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    grep -q "^ *[0-9]*: [0-9A-F]*:$_fp_hex "; then
			echo "$_fp"
			return 0
		fi
		_fp_i=$((_fp_i + 1))
	done
	return 1
}

NGINX_PREFIX=$T/nginx
NGINX_PORT=
BASE=
_nginx_pid=

_nginx_answers()
{
	_code=$(curl -q -s --noproxy '*' --max-time 2 -o /dev/null \
	    -w '%{http_code}' "$BASE/" 2>/dev/null)
	[ -n "$_code" ] && [ "$_code" != 000 ]
}

# start_nginx: the real nginx with the project's site config
# (scripts/nginx-local-conf.sh) on a free loopback port, passing requests
# to $API_SOCK; sets $NGINX_PORT and $BASE (http://127.0.0.1:PORT).
start_nginx()
{
	[ -x "$NGINX" ] || bail "nginx is missing (scripts/caravel-local deps installs it)"
	[ -z "$_nginx_pid" ] || bail "start_nginx: nginx is already running"
	mkdir -p "$NGINX_PREFIX/tmp"
	chmod 0755 "$NGINX_PREFIX" "$NGINX_PREFIX/tmp"
	for _try in 1 2 3 4 5; do
		NGINX_PORT=$(free_port) || bail "no free loopback port"
		BASE=http://127.0.0.1:$NGINX_PORT
		sh "$top_srcdir/scripts/nginx-local-conf.sh" "$NGINX_PREFIX" \
		    "$NGINX_PORT" "$API_SOCK" > "$NGINX_PREFIX/nginx.conf" ||
		    bail "nginx-local-conf.sh failed"
		"$NGINX" -p "$NGINX_PREFIX/" -c "$NGINX_PREFIX/nginx.conf" \
		    -e "$NGINX_PREFIX/error.log" < /dev/null \
		    >> "$NGINX_PREFIX/stdout.log" 2>&1 &
		_nginx_pid=$!
		track_pid "$_nginx_pid"
		if wait_until 100 _nginx_up; then
			return 0
		fi
		stop_pid "$_nginx_pid"
		_nginx_pid=
		if ! grep -q 'Address already in use' \
		    "$NGINX_PREFIX/error.log" 2>/dev/null; then
			bail "nginx did not start (see nginx/error.log)"
		fi
		diag "port $NGINX_PORT was taken; trying another"
	done
	bail "nginx found no free port in 5 tries"
}

_nginx_up()
{
	is_alive "$_nginx_pid" || return 1
	_nginx_answers
}

stop_nginx()
{
	[ -n "$_nginx_pid" ] || return 0
	stop_pid "$_nginx_pid"
	_nginx_pid=
}

# --- HTTP through nginx ---

# http METHOD PATH [CURL-ARG...]: one request to $BASE. Sets $status;
# the response is in $T/http.headers (last response's header block, CR
# stripped) and $T/http.body.
http()
{
	_h_method=$1
	_h_path=$2
	shift 2
	: > "$T/http.raw"
	: > "$T/http.body"
	status=$(curl -q -sS --noproxy '*' --max-time 20 -H 'Expect:' \
	    -X "$_h_method" -D "$T/http.raw" -o "$T/http.body" \
	    -w '%{http_code}' "$@" "$BASE$_h_path" 2> "$T/http.err")
	[ -n "$status" ] || status=000
	tr -d '\r' < "$T/http.raw" | awk '/^HTTP\// { n = 0 }
	    { h[n++] = $0 } END { for (i = 0; i < n; i++) print h[i] }' \
	    > "$T/http.headers"
}

# --- plain CGI ---

# cgi METHOD PATH [VAR=VALUE...]: run caravel-api once as plain CGI with
# only the CGI variables, DATABASE_URL and the given VARs in its
# environment; stdin is $CGI_STDIN (default /dev/null). Sets $status
# from the Status: header ("none" if there is none); the header block is
# in $T/http.headers (CR stripped), the body in $T/http.body and the exit
# status in $cgi_rc.
CGI_STDIN=/dev/null

cgi()
{
	_g_method=$1
	_g_path=$2
	shift 2
	env -i PATH="$PATH" LC_ALL=C \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=127.0.0.1 SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
	    DATABASE_URL="sqlite://$DB" \
	    REQUEST_METHOD="$_g_method" PATH_INFO="$_g_path" \
	    SCRIPT_NAME= QUERY_STRING= "$@" \
	    timeout 20 "$CARAVEL_API" < "$CGI_STDIN" > "$T/cgi.out" 2>> "$T/api.log"
	cgi_rc=$?
	awk -v hdr="$T/http.headers" -v body="$T/http.body" '
	    BEGIN { inhdr = 1; printf "" > hdr; printf "" > body }
	    inhdr { sub(/\r$/, ""); if ($0 == "") inhdr = 0; else print > hdr; next }
	    { print > body }' "$T/cgi.out"
	status=$(sed -n 's/^[Ss]tatus: *\([0-9][0-9][0-9]\).*/\1/p' \
	    "$T/http.headers" | head -n 1)
	[ -n "$status" ] || status=none
}

# --- expectations on the last response (http or cgi) ---

# header NAME: the value of the first NAME header, if any.
header()
{
	awk -v name="$1" 'BEGIN { name = tolower(name) }
	    { i = index($0, ":"); if (i == 0) next
	      if (tolower(substr($0, 1, i - 1)) == name) {
	          v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
	          print v; exit } }' "$T/http.headers"
}

has_header()
{
	awk -v name="$1" 'BEGIN { name = tolower(name); r = 1 }
	    { i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == name) r = 0 }
	    END { exit r }' "$T/http.headers"
}

body()
{
	cat "$T/http.body"
}

_response()
{
	printf 'status %s\n' "$status"
	sed 's/^/< /' "$T/http.headers"
	printf '%s\n' "$(head -c 600 "$T/http.body")"
}

expect_status()
{
	if [ "$status" = "$2" ]; then
		ok "$1"
	else
		fail "$1" "expected status $2, got:" "$(_response)"
	fi
}

# expect_header DESC NAME VALUE: exact value.
expect_header()
{
	_e_v=$(header "$2")
	if has_header "$2" && [ "$_e_v" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected header \"$2: $3\", got:" "$(_response)"
	fi
}

# expect_header_has DESC NAME ITEM: ITEM is one of the comma-separated
# elements of the header's value.
expect_header_has()
{
	_e_v=$(header "$2")
	if printf '%s\n' "$_e_v" | tr ',' '\n' | sed 's/^ *//; s/ *$//' |
	    grep -qixF -e "$3"; then
		ok "$1"
	else
		fail "$1" "expected \"$3\" in header $2, got:" "$(_response)"
	fi
}

expect_no_header()
{
	if has_header "$2"; then
		fail "$1" "expected no $2 header, got:" "$(_response)"
	else
		ok "$1"
	fi
}

# expect_body DESC TEXT: the body is exactly TEXT (one trailing newline
# aside).
expect_body()
{
	if [ "$(cat "$T/http.body")" = "$2" ] &&
	    [ "$(wc -l < "$T/http.body")" -le 1 ]; then
		ok "$1"
	else
		fail "$1" "expected body $2, got:" "$(_response)"
	fi
}

# expect_jq DESC FILTER [JQ-ARG...]: the body is JSON and FILTER yields
# true.
expect_jq()
{
	_j_desc=$1
	_j_filter=$2
	shift 2
	if jq -e "$@" "$_j_filter" "$T/http.body" > /dev/null 2>&1; then
		ok "$_j_desc"
	else
		fail "$_j_desc" "jq $_j_filter is not true for:" "$(_response)"
	fi
}

# expect_json_error DESC STATUS CODE: an error envelope (api.md §1) with a
# non-empty sentence and the given slug, as application/json.
expect_json_error()
{
	expect_status "$1: status $2" "$2"
	expect_jq "$1: error envelope with code $3" \
	    '(keys - ["field"]) == ["code","error"] and .code == $c
	    and (.error | type == "string" and length > 0)' --arg c "$3"
}
