from .db import ReadingStore

__all__ = ["ReadingStore"]
