"""The model: hazard, walking dose and dose-response, latent traits, exact expectations and calibration
to the published figures. Imports only :mod:`analysis.trial` and :mod:`analysis.errors`.
"""
