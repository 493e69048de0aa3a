"""Object selections, vectorized with awkward and a numba kernel for the isolation sum."""

from __future__ import annotations

import awkward as ak
import numba
import numpy as np

PT_MIN = 20.0
ETA_MAX = 2.4
ISO_MAX = 0.15


def good_muons(muons):
    """Tight, isolated, central muons."""
    return (
        (muons.pt > PT_MIN)
        & (np.abs(muons.eta) < ETA_MAX)
        & muons.tightId
        & (muons.pfRelIso04_all < ISO_MAX)
    )


def opposite_sign_pairs(muons):
    pairs = ak.combinations(muons, 2, fields=["mu1", "mu2"])
    return pairs[pairs.mu1.charge != pairs.mu2.charge]


@numba.njit(cache=True)
def _delta_r_min(eta1, phi1, eta2, phi2, counts1, counts2, out):
    start1 = start2 = 0
    for i in range(len(counts1)):
        for a in range(start1, start1 + counts1[i]):
            best = 1e9
            for b in range(start2, start2 + counts2[i]):
                dphi = (phi1[a] - phi2[b] + np.pi) % (2 * np.pi) - np.pi
                best = min(best, np.hypot(eta1[a] - eta2[b], dphi))
            out[a] = best
        start1 += counts1[i]
        start2 += counts2[i]
    return out


def delta_r_to_jets(muons, jets):
    """Per-muon distance to the closest jet, computed with a numba kernel."""
    counts_mu, counts_jet = ak.to_numpy(ak.num(muons)), ak.to_numpy(ak.num(jets))
    flat_mu, flat_jet = ak.flatten(muons), ak.flatten(jets)
    out = np.empty(len(flat_mu))
    _delta_r_min(ak.to_numpy(flat_mu.eta), ak.to_numpy(flat_mu.phi),
                 ak.to_numpy(flat_jet.eta), ak.to_numpy(flat_jet.phi), counts_mu, counts_jet, out)
    return ak.unflatten(out, counts_mu)
