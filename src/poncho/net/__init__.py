"""Talking to package indexes: one HTTP session policy, the simple API, remote zips.

Shared by the resolver (candidates and metadata) and the index builder (wheel
file lists), so both get the same caching, retries and certificate handling.
"""

from .session import make_session
from .simple_api import IndexFile, ProjectPage, SimpleIndex

__all__ = ["IndexFile", "ProjectPage", "SimpleIndex", "make_session"]
