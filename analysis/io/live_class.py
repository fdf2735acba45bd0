"""The live class's storage: one repository over SQLAlchemy Core; SQLite by default, PostgreSQL by one URL.

Place in the pipeline: beside the exports, at the end of the library. Pages and the load harness call
:class:`ClassStore`; nothing else writes SQL. The same code and schema serve both databases:

- **SQLite** (the default): a file ``live_class.sqlite3`` in the data folder (``$WALKBACK_DATA_DIR``, else
  ``$XDG_DATA_HOME/walkback``, else ``~/.local/share/walkback``), in WAL mode with a busy timeout, so one app
  process serves a class and a restart loses nothing.
- **PostgreSQL**: set ``$WALKBACK_DATABASE_URL`` (e.g. ``postgresql+psycopg://user:pw@host/db``); several app
  processes behind a proxy then share the class (a lecture hall).

Security: a class code carries 96 random bits, the instructor token another 192 and a student's seat token 96;
the two tokens are stored only as SHA-256 hashes. A student's link (code + seat token) reaches their own seat and
nothing else; every instructor action checks the instructor token. Classes expire after
``$WALKBACK_CLASS_DAYS`` days (default 30) and are purged when a new class is created.

The schema is created on first use and recorded in ``walkback_schema_version``; a database written by a newer
schema is refused with a message rather than misread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd
import sqlalchemy as sa

from ..errors import ClassStoreUnavailable, LiveClassError
from ..studies.live_class import SUBMISSION_COLUMNS, LiveClassPlan, Submission

__all__ = ["SCHEMA_VERSION", "ENV_URL", "ENV_DATA_DIR", "ENV_EXPIRY_DAYS", "DEFAULT_EXPIRY_DAYS", "ClassStore",
           "LiveClass", "NewClass", "Seat", "database_url", "default_data_dir", "check_code"]

SCHEMA_VERSION = 1
ENV_URL = "WALKBACK_DATABASE_URL"
ENV_DATA_DIR = "WALKBACK_DATA_DIR"
ENV_EXPIRY_DAYS = "WALKBACK_CLASS_DAYS"
DEFAULT_EXPIRY_DAYS = 30.0
SQLITE_FILE = "live_class.sqlite3"
#: Seconds a SQLite writer waits for another before giving up (a class of hundreds submits within seconds).
BUSY_TIMEOUT_S = 30
_CODE = re.compile(r"[A-Za-z0-9_-]{16}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

metadata = sa.MetaData()
schema_version = sa.Table(
    "walkback_schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Float, nullable=False))
classes = sa.Table(
    "walkback_classes", metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("instructor_hash", sa.String(64), nullable=False),
    sa.Column("plan_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("seats", sa.Integer, nullable=False, default=0))
seats = sa.Table(
    "walkback_seats", metadata,
    sa.Column("class_code", sa.String(16), sa.ForeignKey("walkback_classes.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seat", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("joined_at", sa.Float, nullable=False))
submissions = sa.Table(
    "walkback_submissions", metadata,
    sa.Column("class_code", sa.String(16), sa.ForeignKey("walkback_classes.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seat", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("hr", sa.Float, nullable=False),
    sa.Column("hr_lower", sa.Float, nullable=False),
    sa.Column("hr_upper", sa.Float, nullable=False),
    sa.Column("logrank_p", sa.Float, nullable=False),
    sa.Column("median_control", sa.Float),
    sa.Column("median_intervention", sa.Float),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.Float, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False))


def default_data_dir() -> Path:
    """Where the SQLite file lives: ``$WALKBACK_DATA_DIR``, else ``$XDG_DATA_HOME/walkback``, else ``~/.local/share/walkback``."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "walkback"


def database_url(url: str | None = None) -> str:
    """The database to use: ``url``, else ``$WALKBACK_DATABASE_URL``, else the SQLite file in the data folder.

    Examples
    --------
    >>> database_url("sqlite:///:memory:")
    'sqlite:///:memory:'
    """
    url = url or os.environ.get(ENV_URL, "").strip()
    return url or f"sqlite:///{default_data_dir() / SQLITE_FILE}"


def _expiry_days(days: float | None) -> float:
    if days is None:
        raw = os.environ.get(ENV_EXPIRY_DAYS, "").strip()
        try:
            days = float(raw) if raw else DEFAULT_EXPIRY_DAYS
        except ValueError:
            raise LiveClassError(f"{ENV_EXPIRY_DAYS}={raw!r} must be a number of days") from None
    if isinstance(days, bool) or not (isinstance(days, (int, float)) and 0 < days <= 3650):
        raise LiveClassError(f"classes must expire after more than 0 and at most 3650 days, not {days!r}")
    return float(days)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_code(code: object) -> str:
    """A class code as typed in a link, checked for shape (16 URL-safe characters) before any query.

    Examples
    --------
    >>> check_code("abcdEFGH1234-_xy")
    'abcdEFGH1234-_xy'
    >>> check_code("1; DROP TABLE x")
    Traceback (most recent call last):
    ...
    analysis.errors.LiveClassError: this class link is not valid: ask your instructor for the link again
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code.strip()):
        raise LiveClassError("this class link is not valid: ask your instructor for the link again")
    return code.strip()


def _check_token(token: object, what: str) -> str:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise LiveClassError(f"this {what} link is not valid")
    return token


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparseable URL)"


@dataclass(frozen=True)
class LiveClass:
    """A class as stored: its code, plan, times (epoch seconds), whether the truth is shown, closed, seats taken."""

    code: str
    plan: LiveClassPlan = field(repr=False)
    created_at: float
    expires_at: float
    revealed: bool
    closed: bool
    seats: int


@dataclass(frozen=True)
class NewClass:
    """What creating a class hands back once: the class and the instructor's token (never stored in clear)."""

    live_class: LiveClass
    instructor_token: str = field(repr=False)

    @property
    def code(self) -> str:
        return self.live_class.code


@dataclass(frozen=True)
class Seat:
    """A student's place in a class: seat ``seat`` (student ``seat`` of the class seed) and its secret token."""

    code: str
    seat: int
    token: str = field(repr=False)


class ClassStore:
    """The live class's repository (see the module docstring).

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL (default :func:`database_url`).
    expiry_days : float, optional
        Days until a new class expires (default ``$WALKBACK_CLASS_DAYS`` or 30).

    Every method raises :class:`~analysis.errors.LiveClassError` for a request that cannot be served (unknown,
    expired or closed class; wrong token) and :class:`~analysis.errors.ClassStoreUnavailable` when the database
    cannot be reached.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> store = ClassStore("sqlite:///:memory:")
    >>> new = store.create_class(LiveClassPlan(Scenario(), 7))
    >>> seat = store.join(new.code)
    >>> store.submit(new.code, seat.token, Submission(0.7, 0.55, 0.9, 0.01, 112.0, 190.0, name="Ann"))
    1
    >>> store.submissions(new.code, new.instructor_token)[["seat", "name", "hr"]].to_dict("records")
    [{'seat': 1, 'name': 'Ann', 'hr': 0.7}]
    >>> store.dispose()
    """

    def __init__(self, url: str | None = None, *, expiry_days: float | None = None) -> None:
        self.url = database_url(url)
        self.expiry_days = _expiry_days(expiry_days)
        self._lock = threading.Lock()
        self._ready = False
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError:
            raise ClassStoreUnavailable(f"the class database URL {self.url!r} is not a database URL "
                                        "(e.g. postgresql+psycopg://user:password@host/db)") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ClassStoreUnavailable(f"the class database must be SQLite or PostgreSQL, not {self.dialect!r}")
        try:
            if self.dialect == "sqlite":
                self.engine = self._sqlite_engine(parsed)
            else:
                self.engine = sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=20,
                                               connect_args={"connect_timeout": 5})
        except (ImportError, sa.exc.SQLAlchemyError) as exc:
            raise ClassStoreUnavailable(f"the class database {_shown(self.url)} cannot be used: {exc}") from None
        # SQLite: a writer takes the write lock when its transaction begins (BEGIN IMMEDIATE), so it waits its turn
        # under the busy timeout instead of failing when two read-then-write transactions meet.
        self._writer = self.engine.execution_options(walkback_write=True)

    def _sqlite_engine(self, parsed: sa.engine.URL) -> sa.engine.Engine:
        database = parsed.database or ""
        memory = database in ("", ":memory:")
        if not memory:
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ClassStoreUnavailable(f"the class database folder {Path(database).parent} cannot be created "
                                            f"({exc.strerror}); set {ENV_DATA_DIR} to a writable folder") from None
        options: dict = {"connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}}
        if memory:  # one shared connection, or every thread would see its own empty database
            options["poolclass"] = sa.pool.StaticPool
        else:
            options.update(pool_size=8, max_overflow=32, pool_timeout=60)
        engine = sa.create_engine(parsed, **options)

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's implicit one
            cursor = dbapi_connection.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(connection):
            immediate = connection.get_execution_options().get("walkback_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sa.engine.Connection]:
        self._ensure_schema()
        try:
            with (self._writer if write else self.engine).begin() as connection:
                yield connection
        except sa.exc.SQLAlchemyError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> ClassStoreUnavailable:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return ClassStoreUnavailable(f"the class database {_shown(self.url)} cannot be reached or used "
                                     f"({(detail[0] if detail else type(exc).__name__)[:200]})")

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            for attempt in range(3):
                try:
                    with self._writer.begin() as connection:
                        metadata.create_all(connection, checkfirst=True)
                        found = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
                        if found is None:
                            connection.execute(schema_version.insert().values(version=SCHEMA_VERSION,
                                                                              applied_at=time.time()))
                        elif found > SCHEMA_VERSION:
                            raise ClassStoreUnavailable(
                                f"the class database {_shown(self.url)} has schema version {found}, newer than this "
                                f"program's {SCHEMA_VERSION}: update WalkBack Explorer")
                    break
                except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
                    # Another process created the tables between our check and our CREATE (PostgreSQL): look again.
                    if attempt == 2:
                        raise
                    time.sleep(0.2 * (attempt + 1))
                except sa.exc.SQLAlchemyError as exc:
                    raise self._unavailable(exc) from None
            self._ready = True

    def _insert(self, table: sa.Table):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    @staticmethod
    def _row_to_class(row) -> LiveClass:
        return LiveClass(code=row.code, plan=LiveClassPlan.from_dict(json.loads(row.plan_json)),
                         created_at=row.created_at, expires_at=row.expires_at, revealed=bool(row.revealed),
                         closed=bool(row.closed), seats=int(row.seats))

    def _class_row(self, connection, code: str, now: float):
        row = connection.execute(sa.select(classes).where(classes.c.code == code)).first()
        if row is None or row.expires_at <= now:
            raise LiveClassError("no class has this code (it may have expired or been deleted): check the link "
                                 "with your instructor")
        return row

    def _instructor_row(self, connection, code: str, token: str, now: float):
        row = self._class_row(connection, check_code(code), now)
        if not hmac.compare_digest(row.instructor_hash, _hash(_check_token(token, "instructor"))):
            raise LiveClassError("this instructor link is not valid for this class")
        return row

    def dispose(self) -> None:
        """Close every pooled connection (tests, and a process that shuts down)."""
        self.engine.dispose()

    # ------------------------------------------------------------------ instructor
    def create_class(self, plan: LiveClassPlan, *, expiry_days: float | None = None) -> NewClass:
        """Store a new class; the instructor token is returned here once and kept only as a hash."""
        if not isinstance(plan, LiveClassPlan):
            raise LiveClassError("a class needs a LiveClassPlan")
        days = self.expiry_days if expiry_days is None else _expiry_days(expiry_days)
        now = time.time()
        token = secrets.token_urlsafe(24)
        with self._transaction(write=True) as connection:
            self._purge(connection, now)
            for _ in range(5):  # a collision of 96-bit codes will not happen; if it did, draw again
                code = secrets.token_urlsafe(12)
                if connection.execute(sa.select(classes.c.code).where(classes.c.code == code)).first() is None:
                    break
            connection.execute(classes.insert().values(
                code=code, instructor_hash=_hash(token), plan_json=json.dumps(plan.to_dict(), allow_nan=False),
                created_at=now, expires_at=now + days * 86400.0, revealed=False, closed=False, seats=0))
            row = self._class_row(connection, code, now)
        return NewClass(self._row_to_class(row), token)

    def instructor_class(self, code: str, token: str) -> LiveClass:
        """The class, if ``token`` is its instructor token."""
        now = time.time()
        with self._transaction() as connection:
            return self._row_to_class(self._instructor_row(connection, code, token, now))

    def set_revealed(self, code: str, token: str, revealed: bool = True) -> None:
        """Show (or hide) the truth to the class's students."""
        self._update_flags(code, token, revealed=bool(revealed))

    def set_closed(self, code: str, token: str, closed: bool = True) -> None:
        """Close the class to new seats and submissions (or reopen it)."""
        self._update_flags(code, token, closed=bool(closed))

    def _update_flags(self, code: str, token: str, **values) -> None:
        now = time.time()
        with self._transaction(write=True) as connection:
            self._instructor_row(connection, code, token, now)
            connection.execute(classes.update().where(classes.c.code == code).values(**values))

    def delete_class(self, code: str, token: str) -> None:
        """Delete the class, its seats and every submission."""
        now = time.time()
        with self._transaction(write=True) as connection:
            self._instructor_row(connection, code, token, now)
            self._delete(connection, [code])

    @staticmethod
    def _delete(connection, codes: list[str]) -> None:
        for table in (submissions, seats):
            connection.execute(table.delete().where(table.c.class_code.in_(codes)))
        connection.execute(classes.delete().where(classes.c.code.in_(codes)))

    def _purge(self, connection, now: float) -> int:
        codes = list(connection.execute(sa.select(classes.c.code).where(classes.c.expires_at <= now)).scalars())
        if codes:
            self._delete(connection, codes)
        return len(codes)

    def purge_expired(self, now: float | None = None) -> int:
        """Delete every expired class; returns how many."""
        with self._transaction(write=True) as connection:
            return self._purge(connection, time.time() if now is None else now)

    def submissions(self, code: str, token: str) -> pd.DataFrame:
        """Every submission of the class (instructor only), ordered by seat; columns as :data:`SUBMISSION_COLUMNS`
        less ``variant`` (which follows from the seat and the plan)."""
        now = time.time()
        columns = [c for c in SUBMISSION_COLUMNS if c != "variant"]
        with self._transaction() as connection:
            self._instructor_row(connection, code, token, now)
            rows = connection.execute(sa.select(*[submissions.c[c] for c in columns])
                                      .where(submissions.c.class_code == code).order_by(submissions.c.seat)).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
        return frame.astype({"seat": "int64", "revision": "int64", "hr": float, "hr_lower": float, "hr_upper": float,
                             "logrank_p": float, "median_control": float, "median_intervention": float,
                             "submitted_at": float})

    def export(self, code: str, token: str) -> bytes:
        """A zip: ``submissions.csv``, ``data_dictionary.json`` and ``class.json`` (scenario, seed, variants)."""
        from .export import zip_files

        live = self.instructor_class(code, token)
        frame = self.submissions(code, token)
        plan = live.plan
        frame.insert(2, "variant", [plan.student(int(s)).variant for s in frame["seat"]] if plan.vary else None)
        frame["submitted_at"] = [datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")
                                 for t in frame["submitted_at"]]
        for column in ("name", "answer"):  # a spreadsheet must not run a student's text as a formula
            frame[column] = [("'" + v) if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in frame[column]]
        dictionary = {"dataset": "live class submissions", "class_code": code,
                      "columns": [{"name": c, "description": d} for c, d in SUBMISSION_COLUMNS.items()],
                      "notes": "Text that a spreadsheet would read as a formula (starting with = + - @) is prefixed "
                               "with an apostrophe. Empty medians were not reached."}
        record = {"class_code": code, "created_at": datetime.fromtimestamp(live.created_at, timezone.utc).isoformat(),
                  "seat_rule": "seat i is student i of `walkback classroom` with this scenario, seed and --vary",
                  **plan.to_dict()}
        return zip_files({"submissions.csv": frame.to_csv(index=False).encode("utf-8"),
                          "data_dictionary.json": (json.dumps(dictionary, indent=2) + "\n").encode("utf-8"),
                          "class.json": (json.dumps(record, indent=2, allow_nan=False) + "\n").encode("utf-8")})

    # ------------------------------------------------------------------ students
    def student_class(self, code: str) -> LiveClass:
        """What a student's link may see: the class's plan and flags (never other students' data)."""
        code = check_code(code)
        with self._transaction() as connection:
            return self._row_to_class(self._class_row(connection, code, time.time()))

    def join(self, code: str) -> Seat:
        """Take the next seat of an open class (atomic: concurrent joins get distinct seats)."""
        code = check_code(code)
        now = time.time()
        token = secrets.token_urlsafe(12)
        with self._transaction(write=True) as connection:
            row = self._class_row(connection, code, now)
            if row.closed:
                raise LiveClassError("this class is closed: the instructor no longer takes new students")
            seat = connection.execute(classes.update().where(classes.c.code == code)
                                      .values(seats=classes.c.seats + 1).returning(classes.c.seats)).scalar_one()
            connection.execute(seats.insert().values(class_code=code, seat=seat, token_hash=_hash(token),
                                                     joined_at=now))
        return Seat(code, int(seat), token)

    def seat(self, code: str, token: str) -> Seat:
        """The seat that ``token`` holds in the class (a student coming back with their link)."""
        code = check_code(code)
        token = _check_token(token, "student")
        with self._transaction() as connection:
            self._class_row(connection, code, time.time())
            number = connection.execute(sa.select(seats.c.seat).where(
                seats.c.class_code == code, seats.c.token_hash == _hash(token))).scalar()
        if number is None:
            raise LiveClassError("this student link is not valid for this class: open the class link again")
        return Seat(code, int(number), token)

    def submit(self, code: str, token: str, submission: Submission) -> int:
        """Store (or replace) the seat's submission; returns how many times this seat has submitted."""
        if not isinstance(submission, Submission):
            raise LiveClassError("a submission must be a Submission")
        code = check_code(code)
        token = _check_token(token, "student")
        now = time.time()
        with self._transaction(write=True) as connection:
            row = self._class_row(connection, code, now)
            if row.closed:
                raise LiveClassError("this class is closed: submissions are no longer taken")
            number = connection.execute(sa.select(seats.c.seat).where(
                seats.c.class_code == code, seats.c.token_hash == _hash(token))).scalar()
            if number is None:
                raise LiveClassError("this student link is not valid for this class: open the class link again")
            values = {**submission.to_dict(), "class_code": code, "seat": number, "submitted_at": now, "revision": 1}
            statement = self._insert(submissions).values(**values)
            statement = statement.on_conflict_do_update(
                index_elements=[submissions.c.class_code, submissions.c.seat],
                set_={**{k: statement.excluded[k] for k in submission.to_dict()},
                      "submitted_at": statement.excluded.submitted_at, "revision": submissions.c.revision + 1})
            connection.execute(statement)
            return int(connection.execute(sa.select(submissions.c.revision).where(
                submissions.c.class_code == code, submissions.c.seat == number)).scalar_one())

    def own_submission(self, code: str, token: str) -> dict | None:
        """The seat's own latest submission (a student sees theirs, nobody else's), or None."""
        seat = self.seat(code, token)
        with self._transaction() as connection:
            row = connection.execute(sa.select(submissions).where(
                submissions.c.class_code == seat.code, submissions.c.seat == seat.seat)).first()
        return None if row is None else {k: v for k, v in row._mapping.items() if k != "class_code"}

    def count(self, code: str, token: str) -> int:
        """How many seats have submitted (instructor only)."""
        now = time.time()
        with self._transaction() as connection:
            self._instructor_row(connection, code, token, now)
            return int(connection.execute(sa.select(sa.func.count()).select_from(submissions)
                                          .where(submissions.c.class_code == code)).scalar_one())

