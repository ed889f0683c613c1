#!/bin/bash
# End-to-end `meddesk rx verify` throughput on one core (issue 12): N copies of an exported,
# fully signed demo prescription, verified in one run against the exported trust bundle.
# Usage (repo root): cargo build --release --bin meddesk && tests/perf/rx-verify.sh [BIN] [N]
# Prints each run's time and the median throughput.
set -euo pipefail
BIN=${1:-target/release/meddesk}
N=${2:-5000}
D=$(mktemp -d)
run() { MEDDESK_FORBID_KEYCHAIN=1 "$BIN" --demo --data-dir "$D/data" --assets assets "$@"; }
run demo seed > /dev/null
run rx export --all --out "$D/out" > /dev/null
doc=$(ls "$D/out"/*.json | grep -v trust.json | head -1)
mkdir -p "$D/many"
for i in $(seq 1 "$N"); do cp "$doc" "$D/many/$i.json"; done
times=()
for r in 1 2 3 4 5; do
  s=$(date +%s%N)
  taskset -c 0 "$BIN" rx verify --require-timestamp --trust "$D/out/trust.json" "$D/many"/*.json > /dev/null
  e=$(date +%s%N)
  ms=$(( (e - s) / 1000000 ))
  times+=("$ms")
  echo "run $r: $ms ms for $N documents"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
echo "median: $median ms → $(( N * 1000 / median )) documents/s on one core (target ≥ 5,000)"
rm -rf "$D"
