# tests/e2e/needs.sh: what a shell test needs before it starts, checked
# before anything runs. Sourced, not run:
#
#	. "$top_srcdir/tests/e2e/needs.sh"
#	needs_name t0620 "the Stripe fake tests"
#	needs_node stripe nostr-tools	# node >= 20 and these npm packages
#	needs_cmd sqlite3 "the sqlite3 shell (apt-get install sqlite3)"
#
# A missing piece is a loud SKIP (exit 77, which automake counts as SKIP,
# never as PASS), or a failure under CI (CI set and not "false"), where
# nothing may skip.

_needs_test=test
_needs_what="this test"

needs_name()
{
	_needs_test=$1
	_needs_what=$2
}

# missing REASON: skip (or fail under CI) with REASON.
missing()
{
	if [ -n "${CI:-}" ] && [ "${CI:-}" != false ]; then
		echo "FAIL: $_needs_test: $1" >&2
		exit 1
	fi
	echo "SKIP: $_needs_test: $1" >&2
	echo "SKIP: $_needs_test: $_needs_what did NOT run" >&2
	exit 77
}

# needs_node PACKAGE...: node >= 20, and each package in tests/js.
needs_node()
{
	command -v node >/dev/null 2>&1 ||
		missing "node is not installed (apt-get install nodejs npm)"
	_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
	[ "${_major:-0}" -ge 20 ] 2>/dev/null ||
		missing "node ${_major:-?} is too old: node >= 20 is needed"
	for _p in "$@"; do
		[ -f "$top_srcdir/tests/js/node_modules/$_p/package.json" ] ||
			missing "tests/js/node_modules lacks $_p: run npm ci --prefix tests/js"
	done
}

# needs_cmd COMMAND DESCRIPTION: COMMAND on PATH.
needs_cmd()
{
	command -v "$1" >/dev/null 2>&1 || missing "$2 is not installed"
}
