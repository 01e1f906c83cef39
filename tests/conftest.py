from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from consultant import jobs
from consultant.bootstrap import prepare
from consultant.db.session import dispose_engines
from consultant.settings import Settings, get_settings
from tests.support.fixtures import *  # noqa: F403

FIXTURES = Path(__file__).parent / "fixtures"
UNMETERED = FIXTURES / "plans" / "unmetered.toml"  # other features are tested without quotas getting in the way


@dataclass
class Dispatched:
    """Jobs the code under test sent to the queue (in-process tests run no broker)."""

    jobs: list[tuple[str, tuple[int, ...], float | None]] = field(default_factory=list)

    def __call__(self, name: str, ids: tuple[int, ...], countdown: float | None) -> None:
        self.jobs.append((name, ids, countdown))

    def named(self, name: str) -> list[tuple[int, ...]]:
        return [ids for n, ids, _ in self.jobs if n == name]


@pytest.fixture(autouse=True)
def dispatched() -> Iterator[Dispatched]:
    recorder = Dispatched()
    previous = jobs.use_dispatcher(recorder)
    yield recorder
    jobs.use_dispatcher(previous)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Set CONSULTANT_* for this test (a fresh data dir by default) and return the Settings."""

    def apply(**values: str) -> Settings:
        monkeypatch.setenv("CONSULTANT_DATA_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("CONSULTANT_PLANS", str(UNMETERED))
        for name, value in values.items():
            monkeypatch.setenv(f"CONSULTANT_{name.upper()}", value)
        get_settings.cache_clear()
        jobs.client.cache_clear()
        return get_settings()

    yield apply
    get_settings.cache_clear()
    jobs.client.cache_clear()
    dispose_engines()


@pytest.fixture(scope="session")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with ICD-10-CM loaded, built once; tests get copies."""
    path = tmp_path_factory.mktemp("catalog") / "catalog.sqlite3"
    settings = Settings(data_dir=path.parent, database_url=f"sqlite:///{path}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSULTANT_DATABASE_URL", settings.resolved_database_url)
        get_settings.cache_clear()
        prepare(settings)
        dispose_engines()
    get_settings.cache_clear()
    return path


QUESTION_CATALOG = (("cpt", "cpt_long.txt"), ("cpt", "cpt_modifier.txt"), ("hcpcs", "hcpcs_anweb.txt"),
                    ("ncci-ptp", "ncci_practitioner.txt"), ("mue", "mue_practitioner.txt"))


@pytest.fixture(scope="session")
def question_catalog_db(catalog_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog the labelled questions were written for: ICD-10-CM plus tests/fixtures/questions/catalog/."""
    from consultant.codes.importers import import_file
    from consultant.db.session import session_scope

    path = tmp_path_factory.mktemp("question-catalog") / "catalog.sqlite3"
    shutil.copyfile(catalog_db, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSULTANT_DATABASE_URL", f"sqlite:///{path}")
        get_settings.cache_clear()
        with session_scope() as session:
            for kind, name in QUESTION_CATALOG:
                import_file(session, kind, FIXTURES / "questions" / "catalog" / name)
        dispose_engines()
    get_settings.cache_clear()
    return path


@pytest.fixture
def question_app(configure, question_catalog_db: Path, tmp_path: Path) -> Settings:
    """Settings for a fresh copy of the labelled questions' catalog."""
    copy = tmp_path / "consultant.sqlite3"
    shutil.copyfile(question_catalog_db, copy)
    return configure(database_url=f"sqlite:///{copy}")


@pytest.fixture
def app(configure, catalog_db: Path, tmp_path: Path) -> Settings:
    """Settings for a fresh SQLite copy of the catalog database; replies go to a maildir."""
    copy = tmp_path / "consultant.sqlite3"
    shutil.copyfile(catalog_db, copy)
    return configure(database_url=f"sqlite:///{copy}")
