"""Write likelihoods/highpt_ditau/*.csv from a local clone of github.com/HighPT/HighPT.

Usage: python docs/gen_highpt_ditau_tables.py GIT_DIR [COMMIT]

Reads git objects only (``git show COMMIT:path``); no HighPT code is used or copied.  The
numbers (ATLAS di-tau data, efficiency kernels, parton luminosities) are facts taken from
HighPT (Allwicher, Faroughy, Jaffredo, Sumensari, Wilsch, arXiv:2207.10756; MIT licence,
(c) 2022 Felix Wilsch), which took the data from ATLAS arXiv:2002.12223 (HEPData
doi:10.17182/hepdata.93071.v4/t3).  Every output row names the file and git blob it came from.
"""
import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

GIT = sys.argv[1]
COMMIT = sys.argv[2] if len(sys.argv) > 2 else "756d68fec4e400fe8e2e6fd0dcb696773f39ef92"
D = "HighPT/LHC_searches/di-tau_ATLAS_2002_12223/"
OUT = Path(__file__).resolve().parents[1] / "likelihoods" / "highpt_ditau"
MASSES = (1000, 2000, 3000)


def git(*a):
    return subprocess.run(["git", "--git-dir", GIT, *a], capture_output=True, text=True,
                          check=True).stdout


def show(p):
    return git("show", f"{COMMIT}:{p}")


def blob(p):
    return git("rev-parse", f"{COMMIT}:{p}").strip()


HEAD = (f"# source: github.com/HighPT/HighPT commit {COMMIT} (MIT licence, (c) 2022 Felix Wilsch)\n"
        "# cite: HighPT arXiv:2207.10756 (Allwicher, Faroughy, Jaffredo, Sumensari, Wilsch);"
        " ATLAS arXiv:2002.12223, HEPData doi:10.17182/hepdata.93071.v4/t3\n"
        "# written by docs/gen_highpt_ditau_tables.py (reads git objects; no HighPT code)\n")


def write(name, comment, header, rows):
    with open(OUT / name, "w", newline="") as f:
        f.write(HEAD + "".join(f"# {c}\n" for c in comment))
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# ------------------------------------------------------------------ 1. ATLAS data
p = D + "di-tau_ATLAS_2002_12223.csv"
rows = list(csv.reader(show(p).lstrip("\ufeff").splitlines()))
i0 = next(i for i, r in enumerate(rows) if r and r[0].startswith("mTtot [GeV] LOW"))
data = [r[:7] for r in rows[i0 + 1:] if r and r[0]]
assert len(data) == 14
write("ditau_atlas_data.csv",
      [f"file: {p} (blob {blob(p)})",
       "ATLAS 139 fb^-1, 13 TeV, b-veto tau_h tau_h category, bins of reconstructed m_T^tot [GeV];",
       "n_obs observed, n_bkg ATLAS total SM background (post-fit), err_bkg = HighPT column",
       "'ERROR BKG' (= sqrt(err_tot^2 - n_obs)), err_tot = HEPData sys+stat error; last bin has overflow"],
      ["bin", "mTtot_low_GeV", "mTtot_high_GeV", "n_obs", "stat_err", "n_bkg", "err_bkg",
       "err_tot"],
      [[k + 1] + r for k, r in enumerate(data)])

# ------------------------------------------------------------------ 2. kernels
files = git("ls-tree", "-r", "--name-only", COMMIT, D).split()


def parse(path):
    txt = show(path)
    hdr = {}
    for line in txt.splitlines():
        m = re.match(r"#\s*(qq~|XY|type|Nevs)\s*:\s*(.*)", line)
        if m:
            hdr[m.group(1)] = " ".join(m.group(2).split())
    tab = np.array([[float(x) for x in line.split()] for line in txt.splitlines()
                    if line.strip() and not line.startswith("#")])
    assert tab.shape == (14, 17), (path, tab.shape)
    return hdr, tab


# family: (channel folder, file prefix regex, HighPT field name)
FAMILIES = {
    "U3": ("TPOLES", "PVLL", "U3", ("bb", "ss", "bs", "sb", "cc", "uu", "cu", "uc")),
    "R2": ("TPOLES", "PVRL", "R2", ("bb", "ss", "bs", "sb")),
    "S1t": ("UPOLES", "PVRR", "S1~", ("bb", "ss", "bs", "sb")),
    "S1": ("UPOLES", "PVLL", "S1", ("cc", "uu", "cu", "uc")),
    "V2": ("UPOLES", "PVRL", "V2", ("bb", "ss", "bs", "sb")),
}
krows = []
for fam, (ch, pre, fld, qqs) in FAMILIES.items():
    for M in MASSES:
        for qq in qqs:
            terms = ("NP", "A", "Z") if qq[0] == qq[1] else ("NP",)
            for term in terms:
                a = fld if term == "NP" else term
                name = re.escape(f"{pre}_00_{qq}_tata_{a}_{fld}_")
                hits = [f for f in files if f.startswith(f"{D}Mediators/GeV_{M}/{ch}/")
                        and re.match(name, f.rsplit("/", 1)[1])]
                assert len(hits) == 1, (fam, M, qq, term, hits)
                h, t = parse(hits[0])
                b = blob(hits[0])
                for i in range(14):
                    krows.append([fam, term, qq, M, i + 1, f"{t[i, 1]:g}", f"{t[i, 2]:g}",
                                  repr(float(t[i, 0]))] + [repr(float(x)) for x in t[i, 3:]]
                                 + [hits[0][len(D):], b, h["type"].replace(" ", "+"), h["XY"].replace(" ", "+")])
write("ditau_mediator_kernels.csv",
      ["HighPT efficiency kernels K_ij: fraction of the events generated in truth m_tautau bin i",
       "(parton level) that land in reco m_T^tot bin j (tau decays, acceptance, efficiency included).",
       "family U3: t-channel vector, HighPT type 'U3*U3' (files PVLL_*_U3_*, TPOLES);",
       "family R2: t-channel scalar, 'R2*R2 R2~*R2~' (PVRL_*_R2_*, TPOLES); family S1t: u-channel scalar",
       "'S1~*S1~ S3*S3' (PVRR_*_S1~_*, UPOLES); family S1: u-channel scalar 'S1*S1 S3*S3' (PVLL_*_S1_*,",
       "UPOLES; up-type quarks); family V2: u-channel vector 'V2*V2' (PVRL_*_V2_*, UPOLES).",
       "term NP = |LQ|^2, A = photon x LQ interference, Z = Z x LQ interference; qqbar = HighPT 'qq~'",
       "(e.g. bs = b sbar initial state, parton luminosity b_sbar).  xsec_fb = first column of the file",
       "(LO sigma per truth bin at unit coupling in HighPT's normalisation; HighPT itself does not read",
       "it; used here only as an independent check).  Last truth bin: generated for 1150-15000 GeV."],
      ["family", "term", "qqbar", "mass_GeV", "truth_bin", "mtt_low_GeV", "mtt_high_GeV", "xsec_fb"]
      + [f"K{j}" for j in range(1, 15)] + ["file", "git_blob", "highpt_type", "highpt_XY"], krows)

# SM (photon/Z) and contact ('Reg') kernels, SMEFT folder
srows = []
for qq in ("uu", "dd", "ss", "cc", "bb"):
    for pre in ("FVLL", "FVLR"):
        for a in ("A_A", "A_Z", "Z_Z", "A_Reg", "Z_Reg", "Reg_Reg"):
            path = f"{D}SMEFT/{pre}_00_{qq}_tata_{a}.dat"
            if path not in files:
                continue
            h, t = parse(path)
            for i in range(14):
                srows.append([pre[1:], a, qq, i + 1, f"{t[i, 1]:g}", f"{t[i, 2]:g}", repr(float(t[i, 0]))]
                             + [repr(float(x)) for x in t[i, 3:]]
                             + [path[len(D):], blob(path), h["type"].replace(" ", "+"), h["XY"].replace(" ", "+")])
write("ditau_smeft_kernels.csv",
      ["HighPT efficiency kernels of the SMEFT folder: lorentz VLL (same lepton/quark chirality) or",
       "VLR (opposite), term A_A, A_Z, Z_Z (SM photon/Z Drell-Yan), A_Reg, Z_Reg (SM x contact",
       "interaction), Reg_Reg (contact^2).  Columns as in ditau_mediator_kernels.csv."],
      ["lorentz", "term", "qqbar", "truth_bin", "mtt_low_GeV", "mtt_high_GeV", "xsec_fb"]
      + [f"K{j}" for j in range(1, 15)] + ["file", "git_blob", "highpt_type", "highpt_XY"], srows)

# ------------------------------------------------------------------ 3. parton luminosities
LUMI = ("b_bbar", "s_sbar", "b_sbar", "s_bbar", "c_cbar", "u_ubar", "c_ubar", "u_cbar", "d_dbar")
cols = {}
for q in LUMI:
    path = f"HighPT/PartonLuminosities/PDF4LHC15/{q}.dat"
    cols[q] = (np.loadtxt(show(path).splitlines()), blob(path))
x = cols["b_bbar"][0][:, 0]
assert all(np.allclose(c[:, 0], x) for c, _ in cols.values())
write("parton_luminosity_pdf4lhc15.csv",
      ["PDF4LHC15_nnlo_mc parton luminosities L_qq'(sqrt(shat)) at sqrt(s) = 13 TeV, files",
       "HighPT/PartonLuminosities/PDF4LHC15/<q>_<q'bar>.dat (blobs: "
       + ", ".join(f"{q} {b[:12]}" for q, (_, b) in cols.items()) + ");",
       "convention: d sigma / d shat = L(sqrt shat) / shat * sigmahat(shat) (checked against the",
       "kernel files' xsec column, tests/test_lq_highpt.py)"],
      ["sqrt_shat_GeV"] + list(LUMI),
      [[repr(float(x[k]))] + [repr(float(cols[q][0][k, 1])) for q in LUMI] for k in range(len(x))])
print("written to", OUT, len(krows), len(srows))
