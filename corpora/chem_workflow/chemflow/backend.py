"""Array backend: CuPy on a GPU when it is installed, NumPy otherwise; torch is optional."""

from __future__ import annotations

import numpy as np

try:
    import cupy as xp

    GPU = True
except ImportError:
    xp = np
    GPU = False

try:
    import torch
except ImportError:
    torch = None


def describe_backend() -> str:
    if GPU:
        return f"cupy {xp.__version__} on {xp.cuda.runtime.getDeviceCount()} GPU(s)"
    return f"numpy {np.__version__} (CPU)"


def pairwise_distances(coords) -> np.ndarray:
    """All interatomic distances; on the GPU when available."""
    x = xp.asarray(coords)
    diff = x[:, None, :] - x[None, :, :]
    d = xp.sqrt((diff * diff).sum(axis=-1))
    return xp.asnumpy(d) if GPU else d


class Rescorer:
    """A TorchScript model that rescores candidates; a no-op without torch."""

    def __init__(self, path: str | None):
        self.model = torch.jit.load(path) if (torch is not None and path) else None

    def __call__(self, features: dict[str, float]) -> float | None:
        if self.model is None:
            return None
        vector = torch.tensor([list(features.values())], dtype=torch.float32)
        with torch.no_grad():
            return float(self.model(vector).item())
