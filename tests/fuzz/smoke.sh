#!/bin/sh
# make fuzz-smoke: tests/fuzz/smoke.sh SECONDS tests/fuzz/fuzz_NAME...
# Runs each libFuzzer target over its seed corpus tests/fuzz/corpus/NAME
# (which must exist), with tests/fuzz/NAME.dict when there is one, then
# fuzzes for SECONDS more. New inputs go to a scratch directory, never
# into the seed corpus. One line per target: ok or FAIL, executions and
# coverage; a failure shows the end of its log and keeps the crashing
# input. Exit 1 if any target failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:?usage: smoke.sh SECONDS BINARY...}
shift
W=$(mktemp -d /tmp/posta-fuzz-smoke.XXXXXX) || exit 1
failed=""
for bin in "$@"; do
	n=${bin##*/fuzz_}
	corpus=tests/fuzz/corpus/$n
	if [ ! -d "$corpus" ]; then
		echo "FAIL  fuzz_$n: no seed corpus $corpus"
		failed="$failed $n"
		continue
	fi
	mkdir -p "$W/$n"
	set -- -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
	    -max_len=16384 -print_final_stats=1 -artifact_prefix="$W/$n-"
	[ -f "tests/fuzz/$n.dict" ] && set -- "$@" -dict="tests/fuzz/$n.dict"
	t0=$(date +%s)
	if "$bin" "$@" "$W/$n" "$corpus" >"$W/$n.log" 2>&1; then
		st=ok
	else
		st=FAIL
		failed="$failed $n"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$W/$n.log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$W/$n.log" | tail -n 1)
	printf '%-5s fuzz_%-10s %ss, %s runs, %s\n' "$st" "$n" \
	    "$(($(date +%s) - t0))" "${execs:-?}" "${cov:-no coverage line}"
	if [ "$st" = FAIL ]; then
		grep -v '^#[0-9]' "$W/$n.log" | tail -n 30 | sed 's/^/    | /'
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz-smoke: failed:$failed (inputs and logs in $W)"
	exit 1
fi
rm -rf "$W"
echo "fuzz-smoke: ok"
