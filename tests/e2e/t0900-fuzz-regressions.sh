#!/bin/sh
# t0900: replay every seed in tests/fuzz/corpus/ and every input in
# tests/fuzz/regression/ through its libFuzzer harness, once each (lwan's
# rule: an input that ever crashed a parser is committed and replayed
# forever). The harnesses need clang (make fuzz): when they are missing
# this is a loud skip, except under CI (CI set), where they are built.

: "${top_srcdir:?top_srcdir must be set (make check exports it)}"
: "${top_builddir:?top_builddir must be set (make check exports it)}"

# Every tests/fuzz/fuzz_NAME.c is a harness.
names=$(cd "$top_srcdir/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fuzzdir=$top_builddir/tests/fuzz

missing=
for n in $names; do
	[ -x "$fuzzdir/fuzz_$n" ] || missing="$missing fuzz_$n"
done
if [ -n "$missing" ]; then
	if [ -z "${CI:-}" ]; then
		echo "SKIP: t0900: not built:$missing (make fuzz; needs clang)" >&2
		echo "SKIP: t0900: fuzz regression inputs were NOT replayed" >&2
		exit 77
	fi
	echo "# t0900: CI is set: building the harnesses (make fuzz)"
	if ! ${MAKE:-make} -C "$top_builddir" fuzz; then
		echo "Bail out! make fuzz failed"
		exit 99
	fi
fi

log=$(mktemp "${TMPDIR:-/tmp}/caravel-t0900.XXXXXX") || exit 99
trap 'rm -f "$log"' EXIT

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

i=0
failed=0
for n in $names; do
	i=$((i + 1))
	# Given files (not directories), libFuzzer runs each once and stops.
	set --
	for d in "$top_srcdir/tests/fuzz/corpus/$n" \
	    "$top_srcdir/tests/fuzz/regression/$n"; do
		[ -d "$d" ] || continue
		for f in "$d"/* "$d"/.[!.]*; do
			[ -f "$f" ] && [ "${f##*/}" != .gitkeep ] && set -- "$@" "$f"
		done
	done
	if [ $# -eq 0 ]; then
		echo "not ok $i - fuzz_$n: no seed or regression input"
		failed=$((failed + 1))
		continue
	fi
	if "$fuzzdir/fuzz_$n" -timeout=25 "$@" > "$log" 2>&1; then
		echo "ok $i - fuzz_$n: $# inputs replayed"
	else
		echo "not ok $i - fuzz_$n: an input crashed the harness"
		grep '^Running: ' "$log" | tail -n 1 | sed 's/^/#   /'
		tail -n 30 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "1..$i"
echo "$((i - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
