#!/bin/sh
# crashtest.sh: kill fuscand with SIGKILL at random moments while it decides
# as fast as it can from a dir: source, and check after each kill that
# every decision it printed as logged is in the log, the chain verifies,
# seq has no gaps, and the next run carries on. The Go test TestCrash in
# cmd/fuscand does the same inside `make test`; this script uses the real
# binaries, for a device or a soak run: ROUNDS=200 scripts/crashtest.sh
set -eu
ROUNDS=${ROUNDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."
go build -o "$work/fuscand" ./cmd/fuscand
go build -o "$work/fuscanctl" ./cmd/fuscanctl

# A few codes to replay: cards from a throwaway key, as PNG frames.
mkdir "$work/frames"
"$work/fuscanctl" keygen --alg sm2 --out "$work/issuer" >/dev/null 2>&1
for i in 1 2 3 4 5 6; do
	"$work/fuscanctl" issue --kind card --key "$work/issuer.key" --issuer 350000 \
		--color green --name "测试$i" --id "35010019900101000$i" --png "$work/frames/$i.png" >/dev/null 2>&1
done

last=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	"$work/fuscand" --device crash-1 --venue lab --data "$work/data" \
		--source "dir:$work/frames?fps=max&loop=1" --dedupe -1s \
		--keys "$work/issuer.pub" --json --listen off \
		>"$work/out" 2>"$work/err" &
	pid=$!
	# Kill at a random moment between 0.3 and 1.3 s after the start.
	sleep "$(awk -v r="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { printf "%.2f", 0.3 + r / 65535 }')"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true

	verify=$("$work/fuscanctl" log verify --db "$work/data/terminal.db") || {
		echo "round $round: chain broken: $verify" >&2; exit 1; }
	n=$(echo "$verify" | awk '{ print $2 }')
	# Every printed seq must be in the log, the first one right after the
	# previous round's last record.
	"$work/fuscanctl" log export --db "$work/data/terminal.db" --format jsonl |
		grep -o '"seq":[0-9]*' | cut -d: -f2 | sort -n >"$work/logged"
	grep -o '"seq":[0-9]*' "$work/out" | cut -d: -f2 | sort -n >"$work/printed" || true
	sort "$work/logged" >"$work/logged.lex" # comm wants text order
	missing=$(sort "$work/printed" | comm -23 - "$work/logged.lex" | head -1)
	if [ -n "$missing" ]; then
		echo "round $round: printed seq $missing is not in the log" >&2; exit 1
	fi
	first=$(head -1 "$work/printed")
	if [ -n "$first" ] && [ "$first" -ne $((last + 1)) ]; then
		echo "round $round: first printed seq $first, want $((last + 1))" >&2; exit 1
	fi
	if [ "$(wc -l <"$work/logged")" -ne "$n" ] || [ "$(tail -1 "$work/logged")" != "$n" ]; then
		echo "round $round: seq has gaps ($n records)" >&2; exit 1
	fi
	echo "round $round: printed $(wc -l <"$work/printed"), log $last -> $n records, chain ok"
	last=$n
	round=$((round + 1))
done
echo "crash test passed: $ROUNDS kills, $last records, chain ok"
