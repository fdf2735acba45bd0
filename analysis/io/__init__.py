"""Cohort files in (CSV, Parquet) and exports out (CSV, Parquet, ADTTE, bundles), with atomic writes.
"""
