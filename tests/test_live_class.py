"""The live class: seeds as the class set's, validated submissions, pooling, and the store on SQLite and on a
real PostgreSQL server that these tests start themselves (initdb + pg_ctl on a free loopback port)."""

from __future__ import annotations

import math
import os
import random
import secrets
import threading
import time

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analysis.errors import ClassStoreUnavailable, LiveClassError, WalkBackInputError
from analysis.io.live_class import SCHEMA_VERSION, ClassStore, check_code, schema_version
from analysis.io.class_set import build_class_set, student_trial_analysis
from analysis.studies.live_class import LiveClassPlan, Submission, summarise_class
from live_servers import postgres_bin, postgres_server

VARY = ("adherence.never_start", (0.0, 0.3))


@pytest.fixture(scope="module")
def plan(walkback):
    return LiveClassPlan(walkback, 2024, VARY, question="Why does your HR differ from 0.72?")


# --------------------------------------------------------------------------- the activity (library)
def test_seat_i_is_student_i_of_the_class_set(walkback, plan):
    """Same scenario, seed and --vary: seat i's analysis is row i of `walkback classroom`'s answer key."""
    key = build_class_set(walkback, 3, seed=2024, vary=VARY).answer_key
    truths = plan.truths()
    for seat in (1, 2, 3):
        trial = plan.student(seat)
        _, _, result = student_trial_analysis(trial.scenario, trial.trial_seed)
        row = key.iloc[seat - 1]
        assert trial.trial_seed == row.seed and trial.variant == row.variant
        assert result.cox.hr == row.cox_hr and result.logrank.p == row.logrank_p
        assert truths[trial.variant] == row.true_cox_hr


def test_submission_validation():
    good = dict(hr=0.7, hr_lower=0.55, hr_upper=0.9, logrank_p=0.01, median_control=112.0, median_intervention=190.0)
    assert Submission(**good).median_control == 112.0
    assert Submission(**{**good, "median_intervention": math.inf}).median_intervention is None  # not reached
    for change, words in [({"hr": math.nan}, "finite"), ({"hr_upper": math.inf}, "finite"),
                          ({"hr": 0.95}, "must contain"), ({"hr_lower": 0.9, "hr_upper": 0.55}, "below"),
                          ({"hr": -1.0}, "above 0"), ({"logrank_p": 1.5}, "between 0 and 1"),
                          ({"hr": "0.7"}, "a number"), ({"name": "x" * 41}, "at most 40"),
                          ({"answer": "y" * 501}, "at most 500")]:
        with pytest.raises(WalkBackInputError, match=words):
            Submission(**{**good, **change})
    # Text is kept as typed (trimmed, control characters dropped), never interpreted.
    s = Submission(**good, name=" <script>alert(1)</script> ", answer="**bold** [x](javascript:1)\x00")
    assert s.name == "<script>alert(1)</script>" and s.answer == "**bold** [x](javascript:1)"


def test_pooled_estimate_is_the_inverse_variance_mean(plan):
    """Against statsmodels' fixed-effect meta-analysis (an independent implementation)."""
    from statsmodels.stats.meta_analysis import combine_effects

    rng = np.random.default_rng(5)
    n = 40
    log_hr = rng.normal(math.log(0.75), 0.1, n)
    se = rng.uniform(0.05, 0.2, n)
    subs = pd.DataFrame({"seat": np.arange(1, n + 1), "hr": np.exp(log_hr), "hr_lower": np.exp(log_hr - 1.959963984540054 * se),
                         "hr_upper": np.exp(log_hr + 1.959963984540054 * se), "logrank_p": rng.uniform(0, 0.2, n)})
    summary = summarise_class(plan, subs)
    reference = combine_effects(log_hr, se ** 2, method_re="chi2")
    overall = summary.overall
    assert overall["n"] == n
    assert math.log(overall["pooled_hr"]) == pytest.approx(reference.mean_effect_fe, rel=1e-9)
    assert math.log(overall["pooled_upper"]) - math.log(overall["pooled_hr"]) == pytest.approx(
        1.959963984540054 * reference.sd_eff_w_fe, rel=1e-9)
    truths = plan.truths()
    rows = summary.rows
    expected_cover = [(lo <= truths[plan.student(int(s)).variant] <= hi)
                      for s, lo, hi in zip(rows.seat, rows.hr_lower, rows.hr_upper)]
    assert rows.covers.tolist() == expected_cover
    assert overall["share_significant"] == pytest.approx(float(np.mean(subs.logrank_p < 0.05)))
    # Split by the varied setting: one row per value, then "all", counts adding up.
    by = summary.by_variant
    assert by.variant.tolist() == [0.0, 0.3, "all"] and by.n.tolist() == [20, 20, 40]
    assert by.truth.iloc[0] == truths[0.0] and math.isnan(by.truth.iloc[-1])


def test_class_codes_are_unguessable_shapes():
    with pytest.raises(LiveClassError, match="not valid"):
        check_code("' OR 1=1 --")
    with pytest.raises(LiveClassError, match="not valid"):
        check_code("short")


# --------------------------------------------------------------------------- the store, on both databases
@pytest.fixture(scope="module")
def postgres():
    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql); CI installs them")
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.sqlite3'}"
    server = request.getfixturevalue("postgres")
    # A fresh database per test, so tests do not see each other's classes.
    name = "t" + secrets.token_hex(6)
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def store(store_url):
    s = ClassStore(store_url)
    yield s
    s.dispose()


def _submission(rng: random.Random, name: str = "") -> Submission:
    hr = rng.uniform(0.5, 1.0)
    return Submission(hr, hr * 0.8, hr * 1.25, rng.uniform(0, 1), 110.0, None, name=name, answer="because")


def test_join_submit_resubmit_and_schema(store, plan):
    new = store.create_class(plan)
    assert len(new.code) == 16 and new.instructor_token != new.code
    first, second = store.join(new.code), store.join(new.code)
    assert (first.seat, second.seat) == (1, 2)
    rng = random.Random(1)
    assert store.submit(new.code, first.token, _submission(rng, "Ann")) == 1
    replacement = _submission(rng, "Ann B")
    assert store.submit(new.code, first.token, replacement) == 2
    table = store.submissions(new.code, new.instructor_token)
    assert table.seat.tolist() == [1] and table.name.tolist() == ["Ann B"] and table.revision.tolist() == [2]
    assert table.hr.iloc[0] == replacement.hr and math.isnan(table.median_intervention.iloc[0])
    assert store.own_submission(new.code, first.token)["hr"] == replacement.hr
    assert store.own_submission(new.code, second.token) is None
    assert store.seat(new.code, second.token).seat == 2
    with store.engine.connect() as connection:
        assert connection.execute(sa.select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    loaded = store.instructor_class(new.code, new.instructor_token)
    assert loaded.plan == plan and loaded.seats == 2 and not loaded.revealed


def test_sixty_students_at_once_nothing_lost_nothing_doubled(store, plan):
    """60 threads join and submit at the same instant (a barrier), then 20 resubmit: 60 rows, the latest kept."""
    new = store.create_class(plan)
    n = 60
    barrier = threading.Barrier(n)
    seats, errors, sent = [None] * n, [], {}

    def student(i: int) -> None:
        try:
            rng = random.Random(i)
            barrier.wait(timeout=30)
            seat = store.join(new.code)
            submission = _submission(rng, f"student {i}")
            store.submit(new.code, seat.token, submission)
            if i % 3 == 0:  # changes their mind
                submission = _submission(rng, f"student {i}")
                store.submit(new.code, seat.token, submission)
            seats[i] = seat
            sent[seat.seat] = submission
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(repr(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    table = store.submissions(new.code, new.instructor_token)
    assert len(table) == n and sorted(table.seat) == list(range(1, n + 1))  # 0 lost, 0 duplicates
    assert store.count(new.code, new.instructor_token) == n
    for row in table.itertuples():
        assert row.hr == sent[row.seat].hr and row.name == sent[row.seat].name  # the latest submission kept
    assert sorted(table.revision.value_counts().to_dict().items()) == [(1, 40), (2, 20)]
    print(f"{store.dialect}: 60 joins + 80 submissions in {elapsed:.2f} s")


def test_security_guessing_tokens_and_hostile_names(store, plan):
    a, b = store.create_class(plan), store.create_class(plan)
    seat = store.join(a.code)
    # Guessing codes: well-formed random codes find nothing; the code space is 64**16 = 2**96.
    for _ in range(50):
        with pytest.raises(LiveClassError, match="no class has this code"):
            store.student_class(secrets.token_urlsafe(12))
    # A student's link (code + seat token) cannot reach instructor actions.
    for action in (store.submissions, store.count, store.export, store.set_revealed, store.set_closed,
                   store.delete_class, store.instructor_class):
        with pytest.raises(LiveClassError, match="instructor link is not valid"):
            action(a.code, seat.token)
    # One class's instructor token does not open another class; a seat token is not valid in another class.
    with pytest.raises(LiveClassError, match="instructor link is not valid"):
        store.submissions(b.code, a.instructor_token)
    with pytest.raises(LiveClassError, match="student link is not valid"):
        store.submit(b.code, seat.token, _submission(random.Random(0)))
    # Hostile text is stored verbatim and the tables survive.
    hostile = ["<img src=x onerror=alert(1)>", "**bold** _x_ [l](javascript:alert(1))", "x'); DROP TABLE walkback_submissions;--",
               "=HYPERLINK(\"http://x\")"]
    tokens = [seat.token] + [store.join(a.code).token for _ in hostile[1:]]
    for name, token in zip(hostile, tokens):
        store.submit(a.code, token, _submission(random.Random(2), name=name))
    assert store.submissions(a.code, a.instructor_token).name.tolist() == hostile
    # The export defuses spreadsheet formulas, and only there.
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(store.export(a.code, a.instructor_token))) as archive:
        exported = pd.read_csv(archive.open("submissions.csv"), keep_default_na=False)
        assert set(archive.namelist()) == {"submissions.csv", "data_dictionary.json", "class.json"}
    assert exported.name.tolist() == hostile[:3] + ["'" + hostile[3]]
    assert exported.variant.tolist() == [0.0, 0.3, 0.0, 0.3]


def test_reveal_close_delete_and_expiry(store, plan):
    new = store.create_class(plan)
    seat = store.join(new.code)
    store.set_revealed(new.code, new.instructor_token)
    assert store.student_class(new.code).revealed
    store.set_closed(new.code, new.instructor_token)
    with pytest.raises(LiveClassError, match="closed"):
        store.join(new.code)
    with pytest.raises(LiveClassError, match="closed"):
        store.submit(new.code, seat.token, _submission(random.Random(3)))
    store.delete_class(new.code, new.instructor_token)
    with pytest.raises(LiveClassError, match="no class has this code"):
        store.student_class(new.code)
    short = store.create_class(plan, expiry_days=1)
    assert store.purge_expired(now=time.time() + 2 * 86400) >= 1
    with pytest.raises(LiveClassError, match="no class has this code"):
        store.student_class(short.code)


def test_newer_schema_is_refused(store_url):
    store = ClassStore(store_url)
    store.purge_expired()
    with store.engine.begin() as connection:
        connection.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, applied_at=0.0))
    store.dispose()
    again = ClassStore(store_url)
    with pytest.raises(ClassStoreUnavailable, match="newer than this program"):
        again.purge_expired()
    again.dispose()


def test_unreachable_database_is_one_clear_error(tmp_path):
    from live_servers import free_port

    store = ClassStore(f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/none")
    with pytest.raises(ClassStoreUnavailable, match="cannot be reached") as info:
        store.student_class("A" * 16)
    assert "secret" not in str(info.value)
    with pytest.raises(ClassStoreUnavailable, match="must be SQLite or PostgreSQL"):
        ClassStore("mysql://x@y/z")
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ClassStoreUnavailable, match="cannot be created"):
        ClassStore(f"sqlite:///{blocked / 'sub' / 'db.sqlite3'}")


def test_default_sqlite_file_lives_in_the_data_folder(tmp_path, monkeypatch, plan):
    monkeypatch.setenv("WALKBACK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WALKBACK_DATABASE_URL", raising=False)
    store = ClassStore()
    store.create_class(plan)
    assert (tmp_path / "data" / "live_class.sqlite3").exists()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    store.dispose()
    monkeypatch.setenv("WALKBACK_CLASS_DAYS", "0.5")
    assert ClassStore().expiry_days == 0.5
    monkeypatch.setenv("WALKBACK_CLASS_DAYS", "soon")
    with pytest.raises(LiveClassError, match="WALKBACK_CLASS_DAYS"):
        ClassStore()


def test_submissions_survive_a_restart(tmp_path, plan, request):
    """SQLite: a new process's store reads the file; PostgreSQL: the server itself is stopped and started."""
    url = f"sqlite:///{tmp_path / 'restart.sqlite3'}"
    store = ClassStore(url)
    new = store.create_class(plan)
    store.submit(new.code, store.join(new.code).token, _submission(random.Random(4), "kept"))
    store.dispose()
    assert ClassStore(url).submissions(new.code, new.instructor_token).name.tolist() == ["kept"]
    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed; the SQLite half ran")
    with postgres_server() as server:
        store = ClassStore(server.url)
        new = store.create_class(plan)
        seat = store.join(new.code)
        store.submit(new.code, seat.token, _submission(random.Random(5), "kept"))
        server.stop()
        with pytest.raises(ClassStoreUnavailable):
            store.count(new.code, new.instructor_token)
        server.start()
        assert store.submissions(new.code, new.instructor_token).name.tolist() == ["kept"]  # pool reconnects
        store.submit(new.code, seat.token, _submission(random.Random(6), "after"))
        assert store.count(new.code, new.instructor_token) == 1
        store.dispose()


def test_postgres_tests_are_not_skipped_where_postgres_is_installed():
    """CI installs Debian's postgresql, so the PostgreSQL half of these tests runs there."""
    if os.environ.get("CI"):
        assert postgres_bin() is not None, "CI must install postgresql (.ci/run)"
