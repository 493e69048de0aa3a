"""The coffea processor: one chunk of NanoAOD events in, histograms and a cutflow out."""

from __future__ import annotations

import awkward as ak
import hist
import numpy as np
from coffea import processor
from coffea.nanoevents.methods import candidate

from .corrections import MuonScaleFactors
from .selection import good_muons, opposite_sign_pairs

ak.behavior.update(candidate.behavior)


class ZMuMuProcessor(processor.ProcessorABC):
    def __init__(self, muon_sf: str | None = None, mass_window: tuple[float, float] = (60.0, 120.0)):
        self.mass_window = mass_window
        self.sf = MuonScaleFactors(muon_sf) if muon_sf else None

    def process(self, events):
        dataset = events.metadata["dataset"]
        is_mc = not dataset.startswith("Single")
        cutflow = {"all": len(events)}

        muons = events.Muon[good_muons(events.Muon)]
        events, muons = events[ak.num(muons) >= 2], muons[ak.num(muons) >= 2]
        cutflow["two_muons"] = len(events)

        pairs = opposite_sign_pairs(muons)
        mass = (pairs.mu1 + pairs.mu2).mass
        in_window = (mass > self.mass_window[0]) & (mass < self.mass_window[1])
        mass = ak.flatten(mass[in_window])

        weights = np.ones(len(mass))
        if is_mc and self.sf is not None:
            lead = ak.flatten(pairs.mu1[in_window])
            weights = weights * self.sf.evaluate(np.abs(ak.to_numpy(lead.eta)), ak.to_numpy(lead.pt))
            weights = weights * np.sign(ak.to_numpy(ak.broadcast_arrays(events.genWeight, pairs.mu1.pt)[0][in_window], allow_missing=False).ravel())

        h = hist.Hist.new.Reg(120, 60, 120, name="mass", label=r"$m_{\mu\mu}$ [GeV]").Weight()
        h.fill(mass=ak.to_numpy(mass), weight=weights)
        return {dataset: {"mass": h, "cutflow": cutflow}}

    def postprocess(self, accumulator):
        return accumulator
