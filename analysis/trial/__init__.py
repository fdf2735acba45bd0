"""The trial as described: published figures (read from package data), the scenario dataclasses and
link sharing. First layer: imports only :mod:`analysis.errors`.
"""
