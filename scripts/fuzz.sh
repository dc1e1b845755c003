#!/bin/sh
# scripts/fuzz.sh [SECONDS]: run each libFuzzer harness that `make fuzz`
# built for SECONDS (default 30) over a scratch copy of its seed corpus
# and regression inputs, and print one line per harness:
#
#	fuzz_nip98: 123456 runs, no crash
#
# A crashing input is kept in tests/fuzz/crashes/NAME/ of the build tree
# (libFuzzer's report in crashes/NAME.report); commit it to
# tests/fuzz/regression/NAME/ with the fix. Exits 1 if any harness
# crashed or was not built. `make fuzz-run FUZZ_SECONDS=N` calls this with
# $top_srcdir and $top_builddir set; run by hand from a source tree built
# in place, they default to it. FUZZ_NAMES limits the harnesses run.
set -u

secs=${1:-30}
case $secs in
''|*[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS]" >&2
	exit 2 ;;
esac
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
# Every tests/fuzz/fuzz_NAME.c is a harness.
names=${FUZZ_NAMES:-$(cd "$top_srcdir/tests/fuzz" && ls fuzz_*.c |
    sed 's/^fuzz_//; s/\.c$//')}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/caravel-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A harness's sanitizer report must end the run, UB included.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

failed=0
for n in $names; do
	bin=$top_builddir/tests/fuzz/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "fuzz_$n: not built (run make fuzz; it needs clang)"
		failed=1
		continue
	fi
	# NIP-98 headers may be 16384 bytes; a little more reaches the cap.
	case $n in
	nip98) maxlen=16500 ;;
	*) maxlen=8192 ;;
	esac
	work=$scratch/$n
	mkdir -p "$work/corpus" "$work/crash"
	for d in "$top_srcdir/tests/fuzz/corpus/$n" \
	    "$top_srcdir/tests/fuzz/regression/$n"; do
		[ -d "$d" ] || continue
		find "$d" -type f ! -name .gitkeep -exec cp {} "$work/corpus/" \;
	done
	"$bin" -max_len="$maxlen" -max_total_time="$secs" -timeout=25 \
	    -print_final_stats=1 -artifact_prefix="$work/crash/" \
	    "$work/corpus" > "$work/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" |
	    tail -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$(ls "$work/crash")" ]; then
		echo "fuzz_$n: ${runs:-?} runs, no crash"
		continue
	fi
	failed=1
	keep=$top_builddir/tests/fuzz/crashes/$n
	mkdir -p "$keep"
	cp "$work/crash/"* "$keep/" 2>/dev/null
	tail -n 40 "$work/log" > "$keep.report"
	echo "fuzz_$n: CRASH after ${runs:-?} runs (status $rc); input in" \
	    "$keep/, report in $keep.report"
	sed 's/^/    /' "$keep.report"
done
exit "$failed"
