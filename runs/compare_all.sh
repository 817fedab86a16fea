#!/usr/bin/env bash
# Model comparison on the current data (README "Results"): evidences of the SM, LEFT
# (tau-flavour C_L, C_R), the leptoquarks, the light-invisible families, two-body X and the
# VLQ model, then the comparison table.  Evidences use bkfit's evidence setup
# (docs/evidence.md): form-factor nuisances at central values, the Belle II workspace
# nuisances profiled; both estimators (jaxns nested sampling and tempered SMC, 4 replicas of
# 400 particles: the profiled Belle II likelihood costs ~1-2 ms per point, the DM spectra
# up to ~10 ms, so the default 8 x 1000 would take hours per model on 2 cores).
#
#   bash runs/compare_all.sh [OUT]        (default OUT = results/compare_all)
set -euo pipefail
OUT=${1:-results/compare_all}
RUNS=(sm quickstart lq_S0 lq_S1 lq_Stilde_half lq_V_half lq_V1
      dm_scalar_V dm_fermion_V dm_vector two_body vlq_benchmark)
dirs=()
for r in "${RUNS[@]}"; do
  bkfit evidence "runs/$r.toml" --out "$OUT/$r" --method both --particles 400 --replicas 4
  dirs+=("$OUT/$r")
done
bkfit compare "${dirs[@]}" --reference "$OUT/sm" --out "$OUT/table"
