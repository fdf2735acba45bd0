"""What pages share, by where it lives: one import line for a page (not a page).

- :mod:`app_support.caches`: bounded caches of library results (``memo``, the calibrated default, cohorts, ...);
- :mod:`app_support.url_state`: the current scenario, the share link, a page's inputs in the link;
- :mod:`app_support.widgets`: page header, the one seed, remembered settings, guarded library calls;
- :mod:`app_support.figures`: figures built once per input and drawn with the app's options, and their text
  alternatives.
"""

from __future__ import annotations

from app_support.caches import (  # noqa: F401
    CACHE_TTL, HASH_FUNCS, baseline_scenario, cached_calibration, cached_cohort, cached_event_range, cached_expected,
    cached_walking,
    fit_report, memo,
)
from app_support.figures import figure, plot, plot_cached, plot_keyed, prebuild_keyed  # noqa: F401
from app_support.url_state import (  # noqa: F401
    current_scenario, describe_changes, describe_solved, is_default, reset_scenario, scenario_version, set_scenario,
    show_link_error, sync_scenario_with_url,
)
from app_support.widgets import guarded, page_header, remember, remembered, seed_input, trial_count  # noqa: F401
