"""Write likelihoods/lq_highpt_ditau_<model>.yaml (one per bkfit leptoquark) from
likelihoods/highpt_ditau/ditau_atlas_data.csv.

    python docs/gen_highpt_ditau_yaml.py

Each file holds 14 Gaussian entries, one per m_T^tot bin j of ATLAS arXiv:2002.12223:
N_NP,j (observable ``N_NP(pp->tautau,<model>)``, argument ``bin``) measured as n_obs - n_bkg
with errors [err_bkg, sqrt(n_obs)] added in quadrature: HighPT's chi^2 (arXiv:2207.10756).
"""
import csv
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"lq_S0": "S0", "lq_Stilde_half": "Stilde_half", "lq_S1": "S1",
          "lq_V_half": "V_half", "lq_V1": "V1"}
with open(ROOT / "likelihoods" / "highpt_ditau" / "ditau_atlas_data.csv") as fh:
    rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
for model, short in MODELS.items():
    lines = [
        "source: >-",
        f"  High-pT Drell-Yan pp -> tau tau from t/u-channel exchange of the leptoquark of model '{model}'",
        "  (bkfit/models/leptoquarks.py): ATLAS di-tau search arXiv:2002.12223 (139 fb^-1, b-veto tau_h",
        "  tau_h, 14 bins of m_T^tot), recast with the efficiency kernels and parton luminosities of HighPT",
        "  (arXiv:2207.10756, github.com/HighPT/HighPT), tables in likelihoods/highpt_ditau/.  Observable",
        f"  N_NP(pp->tautau,{model}) (bkfit/physics/leptoquark_highpt.py).  Written by",
        "  docs/gen_highpt_ditau_yaml.py.",
        "notes: >-",
        "  One Gaussian per bin: the predicted new-physics event count (|LQ|^2 + interference with the SM",
        "  photon/Z; couplings lam_33, lam_23 only) against n_obs - n_bkg, sigma^2 = err_bkg^2 + n_obs (errors",
        "  added in quadrature): HighPT's chi^2 = sum_j ((n_obs - n_bkg - N_NP)/sigma_j)^2, bins uncorrelated,",
        "  no Poisson treatment (the last bins have 11-14 events: a Gaussian approximation, as HighPT).  The",
        "  background uncertainty err_bkg is HighPT's ERROR BKG (= sqrt(err_tot^2 - n_obs) of HEPData's",
        "  sys+stat error); correlations between the bins' background errors are not available and",
        "  neglected.  Not included: tau nu channel, NLO QCD, lam_13 and e/mu couplings.  Add this file",
        "  next to the flavour files of a run with the same leptoquark model (the observable refuses another",
        "  model's couplings).  See docs/leptoquarks.md, 'High-pT tau tau'.",
        "entries:",
    ]
    for r in rows:
        j = int(float(r["bin"]))
        nobs, nbkg = float(r["n_obs"]), float(r["n_bkg"])
        lines += [
            f"  - name: highpt_ditau_{short}_bin{j:02d}",
            f'    observable: "N_NP(pp->tautau,{model})"',
            "    type: gaussian",
            f"    args: {{bin: {j}}}",
            f"    value: {nobs - nbkg:.6g}            # n_obs {nobs:g} - n_bkg {nbkg:g}",
            f"    errors: [{float(r['err_bkg']):.6g}, {math.sqrt(nobs):.6g}]   # err_bkg, sqrt(n_obs)",
            "    reference:",
            '      citation: "arXiv:2002.12223"',
            f'      where: "HEPData Table 3 (doi:10.17182/hepdata.93071.v4/t3), b-veto, m_T^tot {float(r["mTtot_low_GeV"]):g}-{float(r["mTtot_high_GeV"]):g} GeV{" (with overflow)" if j == 14 else ""}; as in HighPT arXiv:2207.10756"',
        ]
    (ROOT / "likelihoods" / f"lq_highpt_ditau_{short}.yaml").write_text("\n".join(lines) + "\n")
print("written")
