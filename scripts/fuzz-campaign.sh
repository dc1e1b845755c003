#!/bin/sh
# scripts/fuzz-campaign.sh [NAME...]: the long fuzzing campaign of issue
# "Hardening" §5. Each harness `make fuzz` built (all of them, or the
# NAMEs given) runs until FUZZ_RUNS executions (default 10,000,000) or
# FUZZ_TIME seconds (default 1200), whichever comes first, FUZZ_JOBS
# harnesses at a time (default 2, one per core), under ASan and UBSan,
# starting from its committed corpus and regression inputs. Afterwards:
#
#  - the corpus it grew is minimised (libFuzzer -merge=1) into
#    tests/fuzz/corpus/NAME/ of the source tree, keeping the hand-written
#    seeds as they are, so the next campaign and every CI run (t0900 and
#    make fuzz-run replay it) start from what this one reached;
#  - one line per harness is added to tests/fuzz/CAMPAIGN.md: the date,
#    executions, seconds, executions per second, coverage (libFuzzer's
#    cov and ft), the corpus size before and after, and crashes;
#  - a crashing input is kept in tests/fuzz/crashes/NAME/ of the build
#    tree with libFuzzer's report, for tests/fuzz/regression/ (README).
#
# Exits 1 if any harness crashed or was not built. Run from a build tree
# (top_builddir, default the source tree) after `make fuzz`; commit the
# corpus and CAMPAIGN.md afterwards. The campaign may span sessions: run
# some NAMEs now, the rest later.
set -u

FUZZ_RUNS=${FUZZ_RUNS:-10000000}
FUZZ_TIME=${FUZZ_TIME:-1200}
FUZZ_JOBS=${FUZZ_JOBS:-2}
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
if [ "$#" -gt 0 ]; then
	names=$*
else
	names=$(cd "$top_srcdir/tests/fuzz" && ls fuzz_*.c |
	    sed 's/^fuzz_//; s/\.c$//')
fi
record=$top_srcdir/tests/fuzz/CAMPAIGN.md

scratch=$(mktemp -d "${TMPDIR:-/tmp}/caravel-campaign.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# The largest input each harness reads (as scripts/fuzz.sh).
maxlen()
{
	case $1 in
	nip98) echo 16500 ;;
	*) echo 8192 ;;
	esac
}

count_files()
{
	find "$1" -type f ! -name .gitkeep 2>/dev/null | wc -l | tr -d ' '
}

# campaign NAME: run one harness, merge its corpus, write its line.
campaign()
{
	n=$1
	bin=$top_builddir/tests/fuzz/fuzz_$n
	work=$scratch/$n
	seeds=$top_srcdir/tests/fuzz/corpus/$n
	mkdir -p "$work/run" "$work/crash" "$work/merged" "$seeds"
	for d in "$seeds" "$top_srcdir/tests/fuzz/regression/$n"; do
		[ -d "$d" ] || continue
		find "$d" -type f ! -name .gitkeep -exec cp {} "$work/run/" \;
	done
	before=$(count_files "$seeds")
	start=$(date +%s)
	"$bin" -max_len="$(maxlen "$n")" -runs="$FUZZ_RUNS" \
	    -max_total_time="$FUZZ_TIME" -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$work/crash/" "$work/run" > "$work/log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" |
	    tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$work/log" | tail -n 1)
	crashes=$(count_files "$work/crash")
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		keep=$top_builddir/tests/fuzz/crashes/$n
		mkdir -p "$keep"
		cp "$work/crash/"* "$keep/" 2>/dev/null
		tail -n 60 "$work/log" > "$keep.report"
		[ "$crashes" -ne 0 ] || crashes="exit $rc"
	else
		# Only what adds coverage joins the committed corpus; the
		# hand-written seeds stay under their names.
		"$bin" -merge=1 -max_len="$(maxlen "$n")" "$work/merged" \
		    "$seeds" "$work/run" > "$work/merge.log" 2>&1 &&
		    find "$work/merged" -type f -exec cp {} "$seeds/" \;
	fi
	after=$(count_files "$seeds")
	printf '| %s | fuzz_%s | %s | %s | %s | %s | %s → %s | %s |\n' \
	    "$(date -u +%Y-%m-%d)" "$n" "${runs:-?}" "$secs" \
	    "$(( ${runs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" \
	    "$before" "$after" "$crashes" > "$work/line"
	cat "$work/line"
}

if [ ! -f "$record" ]; then
	cat > "$record" <<'EOF'
# Fuzzing campaigns

Made by `scripts/fuzz-campaign.sh` (issue "Hardening" §5): each harness
under ASan and UBSan until 10 million executions or 20 minutes, two at a
time on two cores, from its committed corpus. The corpus column counts
the files of `tests/fuzz/corpus/NAME/` before and after the run merged
what it found into it; cov and ft are libFuzzer's coverage counters
(edges and features) at the end. CI replays every corpus file and
regression input (t0900) and fuzzes each harness briefly (`make
fuzz-run`).

| date | harness | executions | seconds | exec/s | coverage | corpus | crashes |
|------|---------|-----------:|--------:|-------:|----------|--------|---------|
EOF
fi

failed=0
running=0
for n in $names; do
	if [ ! -x "$top_builddir/tests/fuzz/fuzz_$n" ]; then
		echo "fuzz_$n: not built (run make fuzz; it needs clang)"
		failed=1
		continue
	fi
	campaign "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait
		running=0
	fi
done
wait
for n in $names; do
	[ -f "$scratch/$n/line" ] || continue
	cat "$scratch/$n/line" >> "$record"
	grep -q '| 0 |$' "$scratch/$n/line" || failed=1
done
exit "$failed"
