# scripts/deps.sh: sourced by scripts/test and scripts/caravel-local. The
# Debian packages Caravel needs to build, run and test, in one list.
CARAVEL_DEBS="autoconf automake libtool pkg-config make gcc \
libfcgi-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libjson-c-dev \
libsecp256k1-dev libssl-dev libwslay-dev check \
nginx spawn-fcgi curl jq ca-certificates \
cppcheck valgrind clang libclang-rt-14-dev wrk chromium systemd groff-base \
openssl"

# Install whatever of CARAVEL_DEBS is missing (as root, or through sudo).
deps_install() {
	missing=
	for p in $CARAVEL_DEBS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	# Node.js (with npm) may come from elsewhere than Debian; only a
	# machine without it gets Debian's.
	command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
	[ -z "$missing" ] && return 0
	echo "installing Debian packages:$missing"
	sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq &&
	    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null
}
