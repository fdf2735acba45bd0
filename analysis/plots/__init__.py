"""Plotly figures only: they draw numbers computed elsewhere, they never compute a statistic.
"""
