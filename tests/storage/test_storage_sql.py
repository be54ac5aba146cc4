"""What only the SQL storage has: URLs and their errors, SQLite settings, the trial cache."""

from __future__ import annotations

import os
import pickle
import threading
import time
import traceback

import pytest
import sqlalchemy as sa

from pfnopt.exceptions import StorageError, TrialFinishedError
from pfnopt.records import StudyDirection, TrialState
from pfnopt.space import Float
from pfnopt.storage import (
    DEFAULT_STORAGE_URL,
    InMemoryStorage,
    SQLStorage,
    default_storage_url,
    get_storage,
    mask_url,
)

MIN = [StudyDirection.MINIMIZE]


def full_text(e: BaseException) -> str:
    """Every message a traceback would print (the error and its chained causes), without the
    source lines (which show the test's own URL literal)."""
    lines = traceback.format_exception(type(e), e, e.__traceback__)
    return "".join(line for line in lines if not line.startswith("  "))


# URLs ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgresql+psycopg://u:secret@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("postgresql://u:se@cr/et@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h/db?user=u&password=secret", "postgresql://h/db?password=***&user=u"),
        ("sqlite:///store/pfn@opt.db", "sqlite:///store/pfn@opt.db"),
        ("postgresql//u:secret@h/db", "postgresql//u:***@h/db"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("", "empty"),
        ("store/pfnopt.db", "cannot be parsed"),
        ("sqlite:/store/x.db", "cannot be parsed"),
        ("postgresql+psycopg://u:secret@host:notaport/db", "malformed"),
        ("mysql://u:secret@host/db", "'mysql' is not supported"),
        ("postgresql+psycopg2://u:secret@host/db", "psycopg 3"),
    ],
)
def test_malformed_urls_name_the_accepted_forms(url, fragment):
    with pytest.raises(StorageError) as info:
        SQLStorage(url)
    assert fragment in str(info.value) and "postgresql+psycopg://user:password@host" in str(info.value)
    assert "secret" not in full_text(info.value)


def test_unreachable_server_is_a_storage_error_without_the_password():
    with pytest.raises(StorageError) as info:
        get_storage("postgresql+psycopg://u:secret@127.0.0.1:1/x")
    text = str(info.value)
    assert text.startswith("PostgreSQL storage postgresql+psycopg://u:***@127.0.0.1:1/x: cannot connect")
    assert "\n" not in text and "secret" not in full_text(info.value) and "secret" not in repr(info.value)


@pytest.mark.postgres
def test_wrong_password_and_describe_never_show_it(pg_url):
    from sqlalchemy.engine import make_url

    real = make_url(pg_url).password
    wrong = make_url(pg_url).set(password="not-the-password-42").render_as_string(hide_password=False)
    with pytest.raises(StorageError) as info:
        SQLStorage(wrong)
    assert "not-the-password-42" not in full_text(info.value) and "authentication" in str(info.value)
    store = SQLStorage(pg_url)
    assert real not in store.describe() and "***" in store.describe() and real not in repr(store.describe())
    store.close()


def test_get_storage_caches_sql_storages_per_url(tmp_path, monkeypatch):
    assert isinstance(get_storage(None), InMemoryStorage) and get_storage(None) is not get_storage(None)
    mem = InMemoryStorage()
    assert get_storage(mem) is mem
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert get_storage(url) is get_storage(url)
    assert get_storage(url) is not get_storage(f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(StorageError):
        get_storage(42)


def test_default_url_is_a_relative_sqlite_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PFNOPT_STORAGE", raising=False)
    assert default_storage_url() == DEFAULT_STORAGE_URL == "sqlite:///store/pfnopt.db"
    monkeypatch.setenv("PFNOPT_STORAGE", "sqlite:///elsewhere.db")
    assert default_storage_url() == "sqlite:///elsewhere.db"
    monkeypatch.chdir(tmp_path)
    store = get_storage(DEFAULT_STORAGE_URL)  # creates the store/ folder
    store.create_study("here", MIN)
    assert (tmp_path / "store" / "pfnopt.db").is_file()
    monkeypatch.chdir(tmp_path / "store")  # a later chdir does not switch files
    assert [s.name for s in store.list_studies()] == ["here"]


def test_unusable_sqlite_paths(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StorageError, match="cannot create the folder"):
        SQLStorage(f"sqlite:///{tmp_path / 'afile' / 'db.sqlite'}")
    (tmp_path / "garbage.db").write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(StorageError, match=r"^SQLite storage sqlite:///.*garbage\.db: .*not a database"):
        SQLStorage(f"sqlite:///{tmp_path / 'garbage.db'}")


# SQLite -------------------------------------------------------------------------------------------
def test_sqlite_settings(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    with store._db.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 30000
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1
    store.close()


def test_sqlite_writer_waits_for_the_lock_instead_of_failing(tmp_path):
    path = tmp_path / "s.db"
    store = SQLStorage(f"sqlite:///{path}")
    sid = store.create_study("s", MIN)
    import sqlite3

    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a while
    threading.Timer(0.5, blocker.rollback).start()
    t0 = time.perf_counter()
    assert store.create_trial(sid).number == 0
    assert time.perf_counter() - t0 >= 0.4
    blocker.close()
    store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_shared_by_threads(url):
    store = SQLStorage(url)
    sid = store.create_study("m", MIN)

    def work() -> None:
        for _ in range(10):
            t = store.create_trial(sid, params={"x": 0.5}, distributions={"x": Float(0, 1)})
            store.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t.number for t in store.get_all_trials(sid)] == list(range(40))
    assert store.describe() == url


# the finished-trial cache -------------------------------------------------------------------------
def count_selects(store: SQLStorage):
    seen: list[str] = []

    @sa.event.listens_for(store._db.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_get_all_trials_reads_in_few_queries_then_only_new_ones(backend, request, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    writer = SQLStorage(url)
    sid = writer.create_study("s", MIN)
    for i in range(40):
        t = writer.create_trial(sid, params={"x": i / 40, "y": 1.0}, distributions={"x": Float(0, 1), "y": Float(0, 2)},
                                user_attrs={"i": i})
        writer.set_trial_intermediate_value(t.trial_id, 0, float(i))
        writer.finish_trial(t.trial_id, TrialState.COMPLETE, [float(i)], [0.0])
    running = writer.create_trial(sid)
    reader = SQLStorage(url)
    selects = count_selects(reader)
    trials = reader.get_all_trials(sid)
    assert len(trials) == 41 and trials[7].user_attrs == {"i": 7} and trials[7].params == {"x": 7 / 40, "y": 1.0}
    assert len(selects) == 3, selects  # count, trial rows, one UNION ALL of the children: whatever the size
    selects.clear()
    assert reader.get_all_trials(sid, [TrialState.COMPLETE])[-1].number == 39
    assert len(selects) == 3  # again, but now for the one unfinished trial only:
    assert reader._cache.pending(sid) == (41, [40])  # numbers >= 41, or 40
    writer.finish_trial(running.trial_id, TrialState.FAIL)
    reader.get_all_trials(sid)
    selects.clear()
    assert reader.get_all_trials(sid)[-1].state == TrialState.FAIL
    assert len(selects) == 1  # everything finished and cached: one query for the trial count
    selects.clear()
    assert reader.get_trial(trials[3].trial_id).number == 3 and reader.get_trial_id(sid, 5) == trials[5].trial_id
    assert selects == []  # finished trials come from the cache
    writer.close()
    reader.close()


def test_storage_pickles_by_url(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    sid = store.create_study("p", MIN)
    t = store.create_trial(sid)
    copy = pickle.loads(pickle.dumps(store))
    assert copy is not store and copy.get_trial(t.trial_id).number == 0
    copy.finish_trial(t.trial_id, TrialState.COMPLETE, [1.0])
    with pytest.raises(TrialFinishedError):
        store.finish_trial(t.trial_id, TrialState.COMPLETE, [2.0])
    store.close()
    copy.close()


def test_forked_child_does_not_reuse_the_parents_connections(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    sid = store.create_study("f", MIN)
    store.create_trial(sid)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            store.create_trial(sid)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert store.get_n_trials(sid) == 2 and store.create_trial(sid).number == 2
    store.close()
