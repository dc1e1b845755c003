#!/bin/sh
# t0190-local.sh: the quick start stays quick. "scripts/caravel-local deps"
# (and "up", which calls the same function) installs only what building
# and running need, never the browser, valgrind or clang the tests use;
# "up" on a port another program holds fails and leaves nothing running;
# "up" on a free port answers /health, and "down" stops everything.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

LOCAL=$top_srcdir/scripts/caravel-local

# --- which packages: stubs report nothing installed and record the rest ---

mkdir -p "$T/stubs"
cat > "$T/stubs/dpkg-query" <<'STUB'
#!/bin/sh
exit 1
STUB
cat > "$T/stubs/apt-get" <<'STUB'
#!/bin/sh
echo "$*" >> "$APT_LOG"
STUB
cat > "$T/stubs/sudo" <<'STUB'
#!/bin/sh
exec "$@"
STUB
chmod +x "$T/stubs/"*
APT_LOG=$T/apt.log PATH="$T/stubs:$PATH" sh "$LOCAL" deps > "$T/deps.out" 2>&1
check "caravel-local deps: exit 0" test "$?" -eq 0
for p in nginx libsqlite3-dev libfcgi-dev gcc; do
	check "caravel-local deps installs $p" grep -qw -- "$p" "$T/apt.log"
done
for p in chromium valgrind clang wrk cppcheck nodejs spawn-fcgi; do
	check "caravel-local deps does not install $p (tests only)" \
	    sh -c "! grep -qw -- '$p' '$T/apt.log'"
done
: > "$T/apt.log"
APT_LOG=$T/apt.log PATH="$T/stubs:$PATH" sh -c \
    ". '$top_srcdir/scripts/deps.sh'; deps_install test" > /dev/null 2>&1
check "the test list adds what the tests use" sh -c \
    "grep -qw chromium '$T/apt.log' && grep -qw valgrind '$T/apt.log'"

# --- up on a taken port fails and leaves nothing behind ---

start_api
start_nginx
V=$T/var
no_local_api()
{
	! pgrep -f "caravel-api --env-file $V/caravel.env" > /dev/null
}
CARAVEL_VAR=$V CARAVEL_BUILDDIR=$top_builddir PORT=$NGINX_PORT \
    sh "$LOCAL" up > "$T/up.out" 2>&1
check "up on a taken port: exit 1" test "$?" -eq 1
check "... saying the port is taken" grep -q "port $NGINX_PORT is taken" "$T/up.out"
check "... and that it stopped what it started" \
    grep -q "up failed: stopped what this run had started" "$T/up.out"
check "... no caravel-api of this run is left" wait_until 50 no_local_api
check "... no pid files are left" sh -c \
    "test ! -e '$V/caravel-api.pid' && test ! -e '$V/workers.pid'"

# --- up on a free port, then down ---

stop_nginx
stop_api
port=$(free_port) || bail "no free port"
sed -i "s/^PORT=.*/PORT=$port/" "$V/caravel.env"
CARAVEL_VAR=$V CARAVEL_BUILDDIR=$top_builddir sh "$LOCAL" up > "$T/up.out" 2>&1
rc=$?
check "up on a free port: exit 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || diag "$(tail -n 5 "$T/up.out")"
check "... /health answers through its nginx" \
    curl -q -fsS --noproxy '*' --max-time 5 -o /dev/null "http://127.0.0.1:$port/health"
check "... the workers without their settings are not scheduled, saying why" \
    grep -q "caravel-infra not scheduled: ZOOID_API_URL must be set" "$T/up.out"
CARAVEL_VAR=$V CARAVEL_BUILDDIR=$top_builddir sh "$LOCAL" down > "$T/down.out" 2>&1
check "down: exit 0" test "$?" -eq 0
check "down: nothing of this run is left" wait_until 50 no_local_api
check "down: nginx no longer answers" sh -c \
    "! curl -q -fsS --noproxy '*' --max-time 2 -o /dev/null http://127.0.0.1:$port/health 2>/dev/null"
done_testing
