#!/usr/bin/env bash
# Model comparison on the current data (README "Model comparison"): every shipped run -- the
# SM, LEFT (tau-flavour C_L, C_R: the quickstart; with the Gaussian Belle II summary; all six
# diagonal C_L, C_R), the Belle II signal strength, Belle II's WET reinterpretation, the five
# leptoquarks at fixed and at free mass, the three light-invisible pair families, two-body X
# and the VLQ model (benchmark heavy sector and free).  Each Bayes factor is taken against the
# SM on the same likelihood terms (bkfit evidence stores it), so runs on different data sit in
# one table without being divided by each other.
#
#   bash runs/compare_all.sh            # fit every run (NUTS), then evidences, then the table
#   FIT=0 bash runs/compare_all.sh      # reuse finished fits in results/<run>/
#
# Each run is fitted into results/<run>/ (posterior: chi2_min and PSIS-LOO of the table),
# then `bkfit evidence` adds evidence.json to the same folder (a later `bkfit fit --force`
# replaces the folder, evidence included: rerun the evidence after refitting).  Evidences
# use bkfit's evidence setup (docs/evidence.md): form-factor nuisances at central values,
# the Belle II workspace nuisances profiled; both estimators (jaxns nested sampling and
# tempered SMC with 4 replicas of 400 particles: the profiled Belle II likelihood costs
# ~0.7-1 ms per point (vmapped; 1-2 ms before its Jacobian was written out, 2026-12-07)
# and the DM spectra up to ~10 ms, so the default 8 x 1000 particles
# would take hours per model on 2 cores).  The table goes to results/compare_all/.
set -euo pipefail
RUNS=(sm quickstart quickstart_gaussian left_all belle2_signal_strength wet_belle2
      lq_S0 lq_S1 lq_Stilde_half lq_V_half lq_V1
      lq_S0_mfree lq_S1_mfree lq_Stilde_half_mfree lq_V_half_mfree lq_V1_mfree
      dm_scalar_V dm_fermion_V dm_vector two_body vlq_benchmark vlq_free)
# ONLY="lq_S0 lq_S1" bash runs/compare_all.sh   fits and evidences for those runs only (no
# table): the whole script takes hours on 2 cores, so it can be run in parts; every step's
# wall time is appended to results/compare_all_steps.tsv (run, step, start, seconds, load),
# whose sum over the 44 steps of one machine is the script's wall time:
#   awk -F'\t' 'NR > 1 {s += $4} END {print s " s"}' results/compare_all_steps.tsv
if [ -n "${ONLY:-}" ]; then read -r -a RUNS <<< "$ONLY"; fi
mkdir -p results
steps=results/compare_all_steps.tsv
[ -f "$steps" ] || printf 'run\tstep\tstart\tseconds\tload_1min\n' > "$steps"
timed() {   # timed RUN STEP COMMAND...: run it, append its wall time to $steps
  local run=$1 step=$2 t0 start
  shift 2
  start=$(date -u +%FT%TZ); t0=$(date +%s)
  "$@"
  printf '%s\t%s\t%s\t%s\t%s\n' "$run" "$step" "$start" "$(( $(date +%s) - t0 ))" \
    "$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo NA)" >> "$steps"
}
dirs=()
for r in "${RUNS[@]}"; do
  if [ "${FIT:-1}" != "0" ]; then
    timed "$r" fit bkfit fit "runs/$r.toml" --force --no-progress
  fi
  timed "$r" evidence bkfit evidence "runs/$r.toml" --method both --particles 400 --replicas 4
  dirs+=("results/$r")
done
if [ -z "${ONLY:-}" ]; then
  bkfit compare "${dirs[@]}" --reference results/sm --out results/compare_all
fi
