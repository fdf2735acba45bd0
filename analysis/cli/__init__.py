"""The ``walkback`` command: one module per subcommand, shared argument types in :mod:`.common`."""
from .main import build_parser, main

__all__ = ["main", "build_parser"]
