"""One molecule through the whole workflow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import squareform

from .backend import Rescorer, pairwise_distances
from .materials import symmetry_report, to_structure
from .molecules import conformer_coordinates, descriptors, embed_conformers
from .structures import relax, to_atoms


@dataclass(frozen=True)
class ScreenSettings:
    conformers: int = 8
    fmax: float = 0.05
    steps: int = 200
    rescoring_model: str | None = None

    @classmethod
    def from_config(cls, config: dict) -> "ScreenSettings":
        relax_cfg = config.get("relax", {})
        return cls(conformers=config.get("conformers", 8), fmax=relax_cfg.get("fmax", 0.05),
                   steps=relax_cfg.get("steps", 200), rescoring_model=config.get("rescoring_model"))


def screen_one(smiles: str, settings: ScreenSettings) -> dict[str, object]:
    mol, ids, energies = embed_conformers(smiles, n=settings.conformers)
    best = ids[int(np.argmin(energies))]
    symbols, coords = conformer_coordinates(mol, best)
    atoms, energy = relax(to_atoms(symbols, coords), fmax=settings.fmax, steps=settings.steps)
    distances = pairwise_distances(atoms.positions)
    row = {
        "smiles": smiles,
        "energy": energy,
        "energy_per_atom": energy / len(atoms),
        "min_distance": float(squareform(distances, checks=False).min()),
        **descriptors(mol),
        **symmetry_report(to_structure(atoms)),
    }
    row["rescored"] = Rescorer(settings.rescoring_model)(descriptors(mol))
    return row
