# scripts/deps.sh: sourced by scripts/test and scripts/caravel-local. The
# Debian packages Caravel needs, in two lists: to build and run it (what
# "scripts/caravel-local up" installs), and what only the tests and
# benchmarks use on top (what scripts/test installs as well).
CARAVEL_RUN_DEBS="autoconf automake libtool pkg-config make gcc \
libfcgi-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libjson-c-dev \
libsecp256k1-dev libssl-dev libwslay-dev check \
nginx curl ca-certificates"
CARAVEL_TEST_DEBS="spawn-fcgi jq cppcheck valgrind clang libclang-rt-14-dev \
wrk chromium systemd groff-base openssl procps"

# deps_install [test]: install whatever of the run list (and with "test",
# of the test list and Node.js) is missing, as root or through sudo.
deps_install() {
	_want=$CARAVEL_RUN_DEBS
	[ "${1:-}" = test ] && _want="$_want $CARAVEL_TEST_DEBS"
	missing=
	for p in $_want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	# Node.js (with npm) may come from elsewhere than Debian; only a
	# machine without it gets Debian's. The tests need it, running not.
	if [ "${1:-}" = test ]; then
		command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
	fi
	[ -z "$missing" ] && return 0
	echo "installing Debian packages:$missing"
	sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq &&
	    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null
}
