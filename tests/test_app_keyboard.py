"""Keyboard use that does not rerun the page on every key (issue #23, finding 11).

Estimands' settings sit in a form: a slider moved (by arrow keys in a browser; ``set_value`` here) changes nothing
until "Apply these settings" commits every value at once, so a keyboard user steps to a value without paying one
trial's estimands (~1.2 s, ``benchmarks/bench_slider_keys.py``) per key press.
"""

from __future__ import annotations

from test_app_interaction import app_on

SUBMIT = "FormSubmitter:est_settings-Apply these settings"


def _per_protocol(at) -> str:
    table = at.table[0].value.set_index("Estimand")
    return str(table.filter(like="per-protocol", axis=0).to_dict())


def test_estimands_sliders_commit_once_on_apply():
    at = app_on("estimands.py")
    start, shown = at.slider(key="est_threshold").value, _per_protocol(at)
    assert start != 0.3
    at.slider(key="est_threshold").set_value(0.3).run()  # moved, not applied: the script never sees it
    assert not at.exception
    assert at.slider(key="est_threshold").value == start and _per_protocol(at) == shown
    at.slider(key="est_threshold").set_value(0.3)
    at.button(key=SUBMIT).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="est_threshold").value == 0.3
    assert _per_protocol(at) != shown, "the applied threshold changes who counts as adherent"
