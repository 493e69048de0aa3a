#!/usr/bin/env python
"""Screen a SMILES library: conformers -> relaxation -> descriptors -> ranked table."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from tqdm import tqdm

from chemflow.backend import describe_backend
from chemflow.pipeline import ScreenSettings, screen_one
from chemflow.storage import ResultStore


def main(argv: list[str]) -> int:
    config_path = Path(argv[1] if len(argv) > 1 else "config.yaml")
    config = yaml.safe_load(config_path.read_text())
    settings = ScreenSettings.from_config(config)
    print(f"array backend: {describe_backend()}")
    library = [line.split() for line in (config_path.parent / config["library"]).read_text().splitlines() if line.strip()]
    with ResultStore(config_path.parent / config["output"]) as store:
        for smiles, name in tqdm(library, desc="screening"):
            store.add(name, screen_one(smiles, settings))
        table = store.table()
    print(table.sort_values("energy_per_atom").head(20).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
