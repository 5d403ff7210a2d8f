#!/usr/bin/env bash
# The deep fuzz (issue 11): FUZZ_EXAMPLES (default 1000) generated values in every form field and
# query parameter of every route, as each role, refused roles included; no 5xx, no partial change.
#
#   scripts/fuzz.sh [SHARDS [FROM [TO]]]     e.g. scripts/fuzz.sh 40 1 20 & scripts/fuzz.sh 40 21 40
#
# Routes are split into SHARDS (FUZZ_SHARD=i/n); this runs shards FROM..TO one after another, each a
# pytest process with its log and its figures in $FUZZ_OUT (default instance/fuzz). A shard with
# figures is done and skipped, so a stopped run resumes where it was. Several invocations with
# other ranges (or machines, merging the folders) spread the work. At the end the figures of every
# shard done so far are added up and printed (scripts/fuzz.sh --totals prints them only).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${FUZZ_OUT:-instance/fuzz}
mkdir -p "$OUT"
if [ "${1:-}" != "--totals" ]; then
  SHARDS=${1:-40}; FROM=${2:-1}; TO=${3:-$SHARDS}
  export FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-1000}
  export FUZZ_REFUSED_EXAMPLES=${FUZZ_REFUSED_EXAMPLES:-$FUZZ_EXAMPLES}
  for i in $(seq "$FROM" "$TO"); do
    name="$OUT/shard-$i-of-$SHARDS"
    [ -s "$name.json" ] && continue
    FUZZ_SHARD="$i/$SHARDS" FUZZ_SUMMARY="$name.part" .venv/bin/pytest -q -p no:cacheprovider -m fuzz tests/test_fuzz.py > "$name.log" 2>&1
    echo "$?" > "$name.exit"
    [ -s "$name.part" ] && mv "$name.part" "$name.json"
    tail -n 3 "$name.log"
  done
fi
.venv/bin/python - "$OUT" <<'PY'
import glob, json, os, sys

shards = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "shard-*.json"))):
    with open(path) as handle:
        s = json.load(handle)
    exit_file = path[:-5] + ".exit"
    s["exit"] = int(open(exit_file).read().strip() or 1) if os.path.exists(exit_file) else None
    shards.append(s)
if not shards:
    sys.exit("fuzz: no shard done yet")
total = lambda key: sum(s[key] for s in shards)  # noqa: E731
n = shards[0]["shard"].split("/")[1]
print(f"fuzz: {len(shards)} of {n} shards done, FUZZ_EXAMPLES={shards[0]['examples']} "
      f"(refused roles {shards[0]['refused_examples']})")
print(f"fuzz: {total('route_methods')} route × methods, {total('fields')} fields, "
      f"{max(s['roles'] for s in shards)} roles; inputs per field and role: min "
      f"{min(s['min_inputs_per_field_and_role'] for s in shards if s['fields'])} (refused roles "
      f"{min((s['min_inputs_per_field_and_refused_role'] for s in shards if s['min_inputs_per_field_and_refused_role']), default=0)}); "
      f"{total('inputs')} inputs in {total('requests')} requests; 5xx {total('status_5xx')}; "
      f"shards with a failed test: {[s['shard'] for s in shards if s['exit']]}; "
      f"{total('wall_seconds') / 3600:.1f} process-hours")
PY
