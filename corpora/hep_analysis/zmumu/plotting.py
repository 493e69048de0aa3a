"""Publication plots with the CMS style from mplhep."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import mplhep as hep

hep.style.use("CMS")


def plot_mass(h, path, label: str, lumi: float = 59.7) -> None:
    fig, ax = plt.subplots(figsize=(8, 6))
    hep.histplot(h, ax=ax, label=label, histtype="errorbar" if label.startswith("Single") else "fill")
    hep.cms.label("Open Data", data=label.startswith("Single"), lumi=lumi, ax=ax)
    ax.set_xlabel(r"$m_{\mu\mu}$ [GeV]")
    ax.set_ylabel("Events / 0.5 GeV")
    ax.legend()
    fig.savefig(path)
    plt.close(fig)
