# bench/lib.sh: what the benchmark scripts share, sourced by each: die,
# stopping what they started (pids) and removing their work directory
# ($B, unless KEEP_TMP) on any exit, polling, keys, and SQL on $DB.

pids=
B=

die()
{
	echo "bench: $*" >&2
	exit 1
}

alive()
{
	kill -0 "$1" 2> /dev/null
}

stop()
{
	kill -TERM "$1" 2> /dev/null
	_n=50
	while [ "$_n" -gt 0 ] && alive "$1"; do
		sleep 0.1
		_n=$((_n - 1))
	done
	if alive "$1"; then
		echo "bench: pid $1 ignored SIGTERM; killing it" >&2
		kill -KILL "$1" 2> /dev/null
	fi
	wait "$1" 2> /dev/null
}

cleanup()
{
	trap - EXIT HUP INT TERM
	for p in $pids; do
		stop "$p"
	done
	if [ -n "$B" ] && [ -d "$B" ]; then
		if [ -n "${KEEP_TMP:-}" ]; then
			echo "bench: kept $B" >&2
		else
			rm -rf "$B"
		fi
	fi
}

# wait_for TENTHS CMD...: run CMD every 0.1 s until it succeeds.
wait_for()
{
	_w=$1
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}

hex32()
{
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

sql()
{
	sqlite3 -cmd ".timeout 5000" "$DB" "$@"
}

trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
