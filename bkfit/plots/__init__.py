"""Figures: posterior-predictive Belle II plots, invisible spectra, R_K-R_K* scans.

Each module exposes a function returning the written paths; ``bkfit plot ...`` calls them.
"""
