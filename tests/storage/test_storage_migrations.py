"""Schema revisions: a new database is built at head, another revision is refused with the
command to run, ``upgrade()`` brings the old-schema fixture to head without losing a row."""

from __future__ import annotations

import multiprocessing as mp
import shutil
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pfnopt.exceptions import SchemaVersionError, StorageError
from pfnopt.records import StudyDirection, TrialState
from pfnopt.storage import SQLStorage, upgrade
from pfnopt.storage.sql.migrate import head_revision
from pfnopt.storage.sql.migrate import upgrade as migrate_to
from pfnopt.storage.sql.models import REVISIONS, SCHEMA_REVISION, VERSION_TABLE

FIXTURES = Path(__file__).parent / "fixtures"
OLD = "v0.1.0.a"


def engine_for(url: str) -> sa.Engine:
    from pfnopt.storage.sql.engine import parse_url

    return sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)


def schema_dump(url: str) -> dict:
    """Tables, columns, keys, uniques, indexes and foreign keys, normalised for comparison."""
    engine = engine_for(url)
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        out = {}
        for table in sorted(t for t in insp.get_table_names() if t.startswith("pfnopt_")):
            out[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)),
                "indexes": sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table)
                                  if not i.get("duplicates_constraint")),
                "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                              for f in insp.get_foreign_keys(table)),
                "checks": sorted(c["name"] for c in insp.get_check_constraints(table)),
            }
    engine.dispose()
    return out


def stored_revision(url: str) -> list[str]:
    engine = engine_for(url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")]
    engine.dispose()
    return rows


def old_database(url: str) -> str:
    """A database at revision v0.1.0.a holding the fixture's rows (the fixture itself for SQLite)."""
    if url.startswith("sqlite"):
        shutil.copy(FIXTURES / "v0.1.0.a.db", url.removeprefix("sqlite:///"))
        return url
    migrate_to(url, OLD)
    src = sqlite3.connect(FIXTURES / "v0.1.0.a.db")
    engine = engine_for(url)
    order = ["pfnopt_studies", "pfnopt_study_directions", "pfnopt_study_attrs", "pfnopt_trials", "pfnopt_trial_params",
             "pfnopt_trial_values", "pfnopt_trial_constraints", "pfnopt_trial_intermediate_values", "pfnopt_trial_attrs"]
    meta = sa.MetaData()
    with engine.begin() as conn:
        for name in order:
            table = sa.Table(name, meta, autoload_with=conn)
            cur = src.execute(f"SELECT * FROM {name}")
            cols = [d[0] for d in cur.description]
            rows = [dict(zip(cols, r, strict=True)) for r in cur]
            for col in table.columns:  # SQLite gives back text datetimes and 0/1 booleans
                if isinstance(col.type, sa.DateTime):
                    for r in rows:
                        r[col.name] = None if r[col.name] is None else datetime.fromisoformat(r[col.name])
                if isinstance(col.type, sa.Boolean):
                    for r in rows:
                        r[col.name] = bool(r[col.name])
            for r in rows:
                conn.execute(table.insert().values(**r))
            pk = table.primary_key.columns.values()[0].name
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', '{pk}'), (SELECT MAX({pk}) FROM {name}))")
    engine.dispose()
    return url


def test_head_is_what_the_code_expects():
    assert head_revision() == SCHEMA_REVISION == REVISIONS[-1]


def test_new_database_is_created_at_head_like_the_migrations(sql_storage_url, tmp_path):
    store = SQLStorage(sql_storage_url)
    store.close()
    assert stored_revision(sql_storage_url) == [SCHEMA_REVISION]
    made = schema_dump(sql_storage_url)
    # the same schema through every migration, from an empty database of the same backend
    if sql_storage_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        other = sql_storage_url.replace("search_path%3D", "search_path%3Dm")
        engine = engine_for(sql_storage_url)
        with engine.begin() as conn:
            schema = sql_storage_url.split("search_path%3D")[1]
            conn.exec_driver_sql(f'CREATE SCHEMA "m{schema}"')
        engine.dispose()
    assert "empty database" in upgrade(other)
    assert "already" in upgrade(other)
    assert schema_dump(other) == made
    assert set(made) == {
        "pfnopt_alembic_version", "pfnopt_schema", "pfnopt_studies", "pfnopt_study_directions", "pfnopt_study_attrs", "pfnopt_trials",
        "pfnopt_trial_params", "pfnopt_trial_values", "pfnopt_trial_constraints", "pfnopt_trial_intermediate_values",
        "pfnopt_trial_attrs",
    }
    SQLStorage(other).close()  # a migrated database opens


def test_old_database_is_refused_then_upgraded(sql_storage_url):
    url = old_database(sql_storage_url)
    with pytest.raises(SchemaVersionError) as info:
        SQLStorage(url)
    message = str(info.value)
    from pfnopt.storage import mask_url

    assert OLD in message and SCHEMA_REVISION in message
    assert f"pfnopt db upgrade --storage {mask_url(url)}" in message
    assert "pfnopt-test" not in message  # the test server's password is masked
    assert stored_revision(url) == [OLD]  # refusing changed nothing

    assert f"from revision {OLD} to revision {SCHEMA_REVISION}" in upgrade(url)
    store = SQLStorage(url)
    sid = store.get_study_id("legacy")
    info = store.get_study(sid)
    assert info.directions == (StudyDirection.MINIMIZE,) and info.user_attrs == {"owner": "ana"} and info.n_trials == 4
    trials = store.get_all_trials(sid)
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING]
    assert trials[0].params == {"x": 1.5, "kind": "b"} and list(trials[0].values) == [2.25]
    assert list(trials[1].constraints) == [-1.5] and trials[1].user_attrs == {"seed": 7}
    assert str(trials[0].intermediate_values[0]) == "nan"
    assert store.create_trial(sid).number == 4  # the counter continues after the old trials
    assert store.claim_waiting_trial(sid).number == 3
    store.close()


def test_newer_or_damaged_database_is_refused(sql_storage_url):
    SQLStorage(sql_storage_url).close()
    engine = engine_for(sql_storage_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE {VERSION_TABLE} SET version_num = 'v9.0.0.a'")
    with pytest.raises(SchemaVersionError, match=r"v9\.0\.0\.a.*newer pfnopt.*pfnopt db upgrade --storage"):
        SQLStorage(sql_storage_url)
    with pytest.raises(SchemaVersionError, match="newer than this pfnopt"):
        upgrade(sql_storage_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
    engine.dispose()
    with pytest.raises(StorageError, match="no single row in pfnopt_alembic_version"):
        SQLStorage(sql_storage_url)


def test_shares_a_database_with_optuna(tmp_path):
    """Own table names and version table: Optuna's RDB storage and pfnopt live in one file."""
    optuna = pytest.importorskip("optuna")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ostudy = optuna.create_study(study_name="o", storage=url)
    ostudy.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    store = SQLStorage(url)
    sid = store.create_study("o", [StudyDirection.MINIMIZE])  # same name, separate tables
    store.finish_trial(store.create_trial(sid).trial_id, TrialState.COMPLETE, [1.0])
    store.close()
    assert len(optuna.load_study(study_name="o", storage=url).trials) == 2
    assert stored_revision(url) == [SCHEMA_REVISION]


def _open(url: str) -> int:
    store = SQLStorage(url)
    n = len(store.list_studies())
    store.close()
    return n


def test_concurrent_first_open_creates_the_schema_once(sql_storage_url):
    with mp.get_context("spawn").Pool(4) as pool:
        assert pool.map(_open, [sql_storage_url] * 4) == [0] * 4
    assert stored_revision(sql_storage_url) == [SCHEMA_REVISION]


def test_first_open_waits_for_a_writer_instead_of_failing_the_wal_switch(tmp_path):
    # A file still in rollback-journal mode whose write lock another connection holds: SQLite
    # answers the WAL switch with "database is locked" at once (no busy wait), which is what
    # several workers opening a new database together ran into. The open must wait instead.
    path = tmp_path / "shared.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE other_app (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO other_app VALUES (1)")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        store = SQLStorage(f"sqlite:///{path}")
        assert store.list_studies() == []
        store.close()
    finally:
        release.join()
        other.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert check.execute("SELECT x FROM other_app").fetchall() == [(1,)]
