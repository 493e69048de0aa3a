"""SMILES -> 3D conformers with RDKit, and descriptors for the result table."""

from __future__ import annotations

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, Descriptors, rdMolDescriptors

RDLogger.DisableLog("rdApp.*")


def embed_conformers(smiles: str, n: int = 8, seed: int = 0xC0FFEE):
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    ids = AllChem.EmbedMultipleConfs(mol, numConfs=n, params=params)
    results = AllChem.MMFFOptimizeMoleculeConfs(mol, maxIters=500)
    energies = np.array([energy for _, energy in results])
    return mol, list(ids), energies


def descriptors(mol) -> dict[str, float]:
    return {
        "mol_wt": Descriptors.MolWt(mol),
        "logp": Descriptors.MolLogP(mol),
        "tpsa": rdMolDescriptors.CalcTPSA(mol),
        "rot_bonds": rdMolDescriptors.CalcNumRotatableBonds(mol),
    }


def conformer_coordinates(mol, conf_id: int) -> tuple[list[str], np.ndarray]:
    conf = mol.GetConformer(conf_id)
    symbols = [atom.GetSymbol() for atom in mol.GetAtoms()]
    return symbols, np.array(conf.GetPositions())
