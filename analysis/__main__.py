"""`python -m analysis` runs the walkback command."""
from .cli import main

raise SystemExit(main())
