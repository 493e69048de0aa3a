"""Muon scale factors from a correctionlib JSON file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import correctionlib


class MuonScaleFactors:
    def __init__(self, path: str, key: str = "NUM_TightID_DEN_TrackerMuons"):
        path = Path(path)
        if path.suffix == ".gz":
            with gzip.open(path, "rt") as fh:
                cset = correctionlib.CorrectionSet.from_string(json.dumps(json.load(fh)))
        else:
            cset = correctionlib.CorrectionSet.from_file(str(path))
        self.correction = cset[key]

    def evaluate(self, abs_eta, pt, variation: str = "nominal"):
        return self.correction.evaluate(abs_eta, pt, variation)
