"""What the pages share: session and URL state, cached library calls, number formats, the survival
view, background replicate runs, and the server launcher (`serve.py`). Never imported by `analysis/`."""
