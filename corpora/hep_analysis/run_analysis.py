#!/usr/bin/env python
"""Run the Z->mumu analysis over a fileset and write histograms and plots."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from coffea import processor
from coffea.nanoevents import NanoAODSchema

from zmumu import ZMuMuProcessor
from zmumu.executors import make_runner
from zmumu.fileset import load_fileset, validate_fileset
from zmumu.plotting import plot_mass

log = logging.getLogger("zmumu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("analysis.toml"))
    parser.add_argument("--executor", choices=["iterative", "parsl", "dask"], default=None)
    parser.add_argument("--output", type=Path, default=Path("output"))
    parser.add_argument("--validate", action="store_true", help="open every file first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with args.config.open("rb") as fh:
        config = tomllib.load(fh)
    fileset = load_fileset(args.config.parent / config["analysis"]["fileset"])
    if args.validate:
        fileset = validate_fileset(fileset)
    kind = args.executor or config["executor"]["kind"]
    runner = make_runner(kind, workers=config["executor"]["workers"],
                         chunksize=config["analysis"]["chunksize"], schema=NanoAODSchema)
    output = runner(
        fileset,
        treename="Events",
        processor_instance=ZMuMuProcessor(muon_sf=config["corrections"]["muon_sf"]),
    )
    args.output.mkdir(parents=True, exist_ok=True)
    processor.accumulate([output])
    for dataset, result in output.items():
        log.info("%s: %d events, %d selected", dataset, result["cutflow"]["all"], result["cutflow"]["two_muons"])
        plot_mass(result["mass"], args.output / f"{dataset}_mass.pdf", label=dataset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
