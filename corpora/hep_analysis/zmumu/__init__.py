"""Z -> mu mu analysis in the coffea style."""

from .processor import ZMuMuProcessor

__all__ = ["ZMuMuProcessor"]
