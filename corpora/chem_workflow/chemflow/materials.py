"""pymatgen views of relaxed structures: symmetry and neighbor statistics."""

from __future__ import annotations

from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer


def to_structure(atoms) -> Structure:
    if not any(atoms.pbc):
        atoms = atoms.copy()
        atoms.pbc = True
    return AseAtomsAdaptor.get_structure(atoms)


def symmetry_report(structure: Structure, symprec: float = 0.1) -> dict[str, object]:
    analyzer = SpacegroupAnalyzer(structure, symprec=symprec)
    return {
        "spacegroup": analyzer.get_space_group_symbol(),
        "crystal_system": analyzer.get_crystal_system(),
        "density": structure.density,
    }


def cubic_reference(species: str = "Cu", a: float = 3.61) -> Structure:
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), [species], [[0, 0, 0]])
