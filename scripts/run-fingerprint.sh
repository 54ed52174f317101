#!/usr/bin/env bash
# Runs the same demo with two fordra binaries (say, before and after a change to the run's
# loading, deciding or writing) and compares what each wrote: every step, ledger entry, claim
# status, segment and its reason, segment change, delivery and event, in a canonical order and
# without generated ids or wall-clock times. Equal fingerprints: the two paths decided and wrote
# the same. Usage: scripts/run-fingerprint.sh OLD_BINARY NEW_BINARY [demo options]
set -euo pipefail
old=$1 new=$2
shift 2
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--customers 3000 --days 120 --end 2026-06-30 --seed 42)

fingerprint() { # database → one line per table: table, rows, sha256
  python3 - "$1" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = {
    "actions": "claim_id, seq, customer_id, step_no, kind, segment, date, deadline, channel, letter, fee, notional_fee, interest, open_after, skipped, reason, arm, fees, fee_spec, min_amount, amount_to_pay, reverted",
    "ledger": "claim_id, customer_id, date, kind, component, amount, currency, reference, memo",
    "claims": "id, customer_id, principal, status, settled_date",
    "customers": "id, segment, segment_reason",
    "segment_changes": "customer_id, date, from_segment, to_segment, reason",
    "deliveries": "id, customer_id, kind, channel, created, deadline, status, attempts, fallback_of",
    "delivery_items": "delivery_id, claim_id, seq",
    "events": "claim_id, kind, dedup, payload",
    "experiment_arms": "experiment, customer_id, arm, assigned_on",
    "runs": "date, actions, segment_changes",
}
for t, cols in tables.items():
    h, n = hashlib.sha256(), 0
    for row in sorted(db.execute(f"SELECT {cols} FROM {t}").fetchall(), key=repr):
        h.update(repr(row).encode()); n += 1
    print(f"{t:16} {n:>9} {h.hexdigest()[:16]}")
EOF
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for which in old new; do
  bin=${!which}
  mkdir -p "$work/$which"
  start=$EPOCHREALTIME
  (cd "$work/$which" && "$bin" demo "${args[@]}" >/dev/null)
  awk -v w="$which" -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%s: demo in %.1f s\n", w, b - a }'
  fingerprint "$work/$which/fordra.db" >"$work/$which.txt"
done
if diff "$work/old.txt" "$work/new.txt"; then
  cat "$work/new.txt"
  echo "the same fingerprint: both paths wrote the same"
else
  echo "the fingerprints differ (above)" >&2
  exit 1
fi
