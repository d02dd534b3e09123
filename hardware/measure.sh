#!/usr/bin/env bash
# Measures a build of edgellm the way the README's "Memory and start-up" table reports it:
#   size      the executable and the whole folder it runs from
#   start-up  wall time from exec to the first byte of generated text on stdout (demo model, greedy, empty prompt)
#   memory    private memory beyond the mapped weights, and the part of it the process wrote, with the whole
#             2 048-token context of a 125M model filled (`bench`, one thread, 64 + 1 984 tokens)
# Medians of several runs (the machine may be shared).
# usage: hardware/measure.sh NAME EXECUTABLE MODEL_125M [STARTUP_RUNS] [MEMORY_RUNS]
#   EXECUTABLE  an edgellm executable (a published folder's, or src/EdgeRuntime/bin/Release/net10.0/edgellm)
#   MODEL_125M  e.g. from `edgellm synth --preset mobilellm-125m --type q8_0 -o /tmp/125m.gguf`
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
name=$1 exe=$2 big=$3 startup_runs=${4:-11} memory_runs=${5:-3}
[ -x "$exe" ] || { echo "measure.sh: $exe is not an executable" >&2; exit 2; }
[ -f "$big" ] || { echo "measure.sh: $big not found" >&2; exit 2; }
command -v jq >/dev/null || { echo "measure.sh: needs jq" >&2; exit 2; }
dir=$(cd "$(dirname "$exe")" && pwd)
demo=$dir/models/stories260K-q8_0.gguf
[ -f "$demo" ] || { echo "measure.sh: no demo model beside $exe ($demo)" >&2; exit 2; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# Start-up: the clock starts before exec and stops when the first character arrives on the pipe.
ttft=()
for _ in $(seq "$startup_runs"); do
  start=$EPOCHREALTIME
  {
    IFS= read -r -n1 _
    stop=$EPOCHREALTIME
    cat >/dev/null
  } < <("$exe" generate -m "$demo" -p "" -n 16 --temperature 0 2>/dev/null)
  ttft+=("$(awk -v a="$start" -v b="$stop" 'BEGIN {printf "%.1f", (b - a) * 1000}')")
done

beyond=() written=()
for _ in $(seq "$memory_runs"); do
  json=$("$exe" bench -m "$big" -t 1 --threads-list 1 --prompt-tokens 64 --gen-tokens 1984 --repetitions 1 --json 2>/dev/null | tail -1)
  beyond+=("$(jq -r '.rss_beyond_map_mb' <<<"$json")")
  written+=("$(jq -r '.private_dirty_mb' <<<"$json")")
done

exe_mb=$(du -m --apparent-size "$exe" | cut -f1)
dir_mb=$(du -sm --apparent-size "$dir" | cut -f1)
printf '%s: executable %s MB, folder %s MB; start to first token %s ms (median of %s: %s); ' \
  "$name" "$exe_mb" "$dir_mb" "$(printf '%s\n' "${ttft[@]}" | median)" "$startup_runs" "${ttft[*]}"
printf 'private beyond the map %s MB, of which written %s MB (medians of %s: %s / %s)\n' \
  "$(printf '%s\n' "${beyond[@]}" | median)" "$(printf '%s\n' "${written[@]}" | median)" "$memory_runs" "${beyond[*]}" "${written[*]}"
