#!/usr/bin/env bash
# The CI gate for a vendor's tuned kernel plugin, end to end:
#   1. build chipcert (release) and the candidate plugin (this checkout);
#   2. build the baseline plugin from another git ref (default: the same
#      checkout, which makes the demo a same-build comparison);
#   3. run the same suite on baseline and candidate (plugins only);
#   4. gate on `chipcert compare` (exit 1 = a case got significantly slower
#      beyond the threshold, or stopped passing), and leave a Markdown comment,
#      an HTML report and JUnit XML for the CI server.
#
# usage: ci/examples/compare/compare-pipeline.sh [--baseline-ref REF] [--suite NAME]
#          [--device SELECTOR] [--threshold 5%] [--repetitions N] [--out DIR]
# The plugin here is chipcert's example plugin (drivers/example), the template
# a vendor copies; a vendor points PLUGIN_TARGET / PLUGIN_DIR at its own.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "${root}"

baseline_ref=""
suite=smoke
device=example
threshold=5%
repetitions=9
out=chipcert-results/compare
while (($#)); do
  case "$1" in
    --baseline-ref) baseline_ref="$2"; shift 2 ;;
    --suite) suite="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --threshold) threshold="$2"; shift 2 ;;
    --repetitions) repetitions="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "compare-pipeline: unknown argument $1" >&2; exit 2 ;;
  esac
done
build="${CHIPCERT_BUILD_DIR:-build/release}"
plugin_target="${PLUGIN_TARGET:-chipcert_driver_example}"
plugin_dir="${PLUGIN_DIR:-plugins}"  # where the target's .so lands, relative to the build
mkdir -p "${out}/baseline-plugins" "${out}/candidate-plugins"

echo "== build chipcert and the candidate plugin"
if [[ ! -f "${build}/build.ninja" ]]; then cmake -S . -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; fi
cmake --build "${build}" --target chipcert "${plugin_target}" -j "$(nproc)"
cp "${build}/${plugin_dir}"/*.so "${out}/candidate-plugins/"

echo "== build the baseline plugin (${baseline_ref:-this checkout})"
if [[ -n "${baseline_ref}" ]]; then
  wt="$(mktemp -d)"
  git worktree add --detach "${wt}" "${baseline_ref}" >/dev/null
  trap 'git worktree remove --force "${wt}"' EXIT
  cmake -S "${wt}" -B "${wt}/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "${wt}/build" --target "${plugin_target}" -j "$(nproc)"
  cp "${wt}/build/${plugin_dir}"/*.so "${out}/baseline-plugins/"
else
  cp "${build}/${plugin_dir}"/*.so "${out}/baseline-plugins/"
fi

bin="${build}/bin/chipcert"
run() {  # run <plugins> <results>
  "${bin}" --no-builtin-drivers --driver-path "$1" run --suite "${suite}" --device "${device}" \
    --repetitions "${repetitions}" -q -o "$2"
}
echo "== run ${suite} on baseline and candidate (${repetitions} samples per case)"
run "${out}/baseline-plugins" "${out}/baseline.json"
run "${out}/candidate-plugins" "${out}/candidate.json"

echo "== compare (threshold ${threshold})"
gate=0
"${bin}" compare "${out}/baseline.json" "${out}/candidate.json" --threshold "${threshold}" || gate=$?
"${bin}" compare "${out}/baseline.json" "${out}/candidate.json" --threshold "${threshold}" \
  -f md -o "${out}/compare.md" >/dev/null || true
"${bin}" compare "${out}/baseline.json" "${out}/candidate.json" --threshold "${threshold}" \
  -f json -o "${out}/compare.json" >/dev/null || true
"${bin}" report "${out}/candidate.json" -o "${out}/candidate-report.html" >/dev/null
"${bin}" report "${out}/candidate.json" -o "${out}/junit.xml" >/dev/null
echo "PR comment: ${out}/compare.md; report: ${out}/candidate-report.html; JUnit: ${out}/junit.xml"
if ((gate > 1)); then echo "compare-pipeline: chipcert compare failed (exit ${gate})" >&2; fi
exit "${gate}"
