"""A virtual-screening workflow on RDKit, ASE and pymatgen."""

__version__ = "0.3.0"
