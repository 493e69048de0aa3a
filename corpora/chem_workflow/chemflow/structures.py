"""Geometry relaxation with ASE; EMT is cheap enough for a first pass."""

from __future__ import annotations

from ase import Atoms
from ase.calculators.emt import EMT
from ase.io import write
from ase.optimize import BFGS


def to_atoms(symbols, positions, box: float = 15.0) -> Atoms:
    atoms = Atoms(symbols=symbols, positions=positions, cell=[box, box, box], pbc=False)
    atoms.center()
    return atoms


def relax(atoms: Atoms, fmax: float = 0.05, steps: int = 200, trajectory: str | None = None) -> tuple[Atoms, float]:
    atoms = atoms.copy()
    atoms.calc = EMT()
    BFGS(atoms, trajectory=trajectory, logfile=None).run(fmax=fmax, steps=steps)
    return atoms, atoms.get_potential_energy()


def save_xyz(atoms: Atoms, path) -> None:
    write(path, atoms, format="extxyz")
