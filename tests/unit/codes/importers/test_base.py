from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consultant.codes.importers import ImportFormatError, import_file
from consultant.codes.importers.base import CodeRow, read_lines, sync_codes
from consultant.codes.models import CatalogChange, CatalogCode, CatalogRelease
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"

ROWS = [
    CodeRow("T0001", "First test descriptor"),
    CodeRow("T0002", "Second test descriptor", short_descriptor="Second", effective_date=date(2024, 1, 1)),
    CodeRow("T0003", "Third test descriptor", attributes={"betos": "O1A"}),
]


def _sync(rows: list[CodeRow], system: str = "test", **options) -> object:
    with session_scope() as session:
        version = options.pop("version", "v1")
        return sync_codes(session, system, rows, source="test-file.txt", version=version, **options)


def _catalog(system: str = "test") -> dict[str, CatalogCode]:
    with session_scope() as session:
        return {row.code: row for row in session.scalars(select(CatalogCode).where(CatalogCode.system == system))}


def _state(rows: dict[str, CatalogCode]) -> dict[str, tuple]:
    return {code: (row.id, row.descriptor, row.short_descriptor, row.attributes) for code, row in rows.items()}


def _history(release_id: int) -> list[tuple[str, str, str | None, str | None, str | None]]:
    with session_scope() as session:
        return sorted(tuple(row) for row in session.execute(
            select(CatalogChange.code, CatalogChange.change, CatalogChange.field, CatalogChange.old, CatalogChange.new)
            .where(CatalogChange.release_id == release_id)))


def _count(model) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


class TestSyncCodes:
    def test_first_import_adds_every_row_with_source_version_and_release(self, app):
        report = _sync(ROWS)
        assert (report.added, report.changed, report.removed, report.rows) == (3, 0, 0, 3)
        rows = _catalog()
        assert set(rows) == {"T0001", "T0002", "T0003"}
        assert rows["T0002"].short_descriptor == "Second"
        assert rows["T0002"].effective_date == date(2024, 1, 1)
        assert rows["T0003"].attributes == {"betos": "O1A"}
        assert {(r.source, r.version, r.release_id) for r in rows.values()} == \
            {("test-file.txt", "v1", report.release_id)}
        assert _history(report.release_id) == [(code, "added", None, None, None) for code in sorted(rows)]
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
            assert (release.system, release.source, release.version) == ("test", "test-file.txt", "v1")
            assert (release.added, release.changed, release.removed) == (3, 0, 0)

    def test_changed_fields_are_recorded_with_old_and_new_values(self, app):
        _sync(ROWS)
        report = _sync([ROWS[0], CodeRow("T0002", "Second test descriptor, revised", short_descriptor="Second",
                                         effective_date=date(2024, 1, 1), deletion_date=date(2025, 12, 31)), ROWS[2]],
                       version="v2")
        assert (report.added, report.changed, report.removed) == (0, 1, 0)
        assert _history(report.release_id) == [
            ("T0002", "changed", "deletion_date", None, "2025-12-31"),
            ("T0002", "changed", "descriptor", "Second test descriptor", "Second test descriptor, revised"),
        ]
        assert _catalog()["T0002"].descriptor == "Second test descriptor, revised"

    def test_update_is_in_place_and_keeps_row_ids(self, app):
        _sync(ROWS)
        before = {code: row.id for code, row in _catalog().items()}
        report = _sync([CodeRow(row.code, row.descriptor + " (v2)") for row in ROWS], version="v2")
        after = _catalog()
        assert {code: row.id for code, row in after.items()} == before
        assert {row.version for row in after.values()} == {"v2"}
        assert {row.release_id for row in after.values()} == {report.release_id}
        assert report.changed == 3

    def test_missing_codes_are_removed_and_recorded(self, app):
        _sync(ROWS)
        report = _sync(ROWS[:1], version="v2")
        assert (report.added, report.changed, report.removed, report.rows) == (0, 0, 2, 1)
        assert set(_catalog()) == {"T0001"}
        assert _history(report.release_id) == [("T0002", "removed", None, None, None),
                                               ("T0003", "removed", None, None, None)]

    def test_remove_missing_false_keeps_codes_not_in_the_file(self, app):
        _sync(ROWS)
        report = _sync(ROWS[:1], version="v2", remove_missing=False)
        assert report.removed == 0
        assert set(_catalog()) == {"T0001", "T0002", "T0003"}

    def test_owned_removes_only_the_rows_of_that_set(self, app):
        _sync([CodeRow("LT", "Left side", kind="modifier", attributes={"set": "hcpcs"}),
               CodeRow("RT", "Right side", kind="modifier", attributes={"set": "hcpcs"}),
               CodeRow("25", "Invented test text for 25 - not AMA text", kind="modifier", attributes={"set": "cpt"})],
              system="modifier")
        report = _sync([CodeRow("LT", "Left side", kind="modifier", attributes={"set": "hcpcs"})],
                       system="modifier", version="v2", owned={"set": "hcpcs"})
        assert report.removed == 1
        assert set(_catalog("modifier")) == {"LT", "25"}

    def test_same_rows_again_change_nothing_but_the_release(self, app):
        first = _sync(ROWS)
        before = _state(_catalog())
        again = _sync(ROWS, version="v1")
        assert (again.added, again.changed, again.removed, again.rows) == (0, 0, 0, 3)
        assert _history(again.release_id) == []
        after = _catalog()
        assert _state(after) == before
        assert {row.release_id for row in after.values()} == {again.release_id} != {first.release_id}

    def test_reimporting_the_same_file_changes_nothing(self, app):
        path = CODES / "pcs_order_sample.txt"
        with session_scope() as session:
            first = import_file(session, "icd10pcs", path)
        before = _catalog("pcs")
        with session_scope() as session:
            again = import_file(session, "icd10pcs", path)
        assert (first.added, again.added, again.changed, again.removed) == (10, 0, 0, 0)
        assert _history(again.release_id) == []
        after = _catalog("pcs")
        assert {c: (r.id, r.descriptor, r.kind, r.parent) for c, r in after.items()} == \
            {c: (r.id, r.descriptor, r.kind, r.parent) for c, r in before.items()}

    def test_a_malformed_file_changes_nothing(self, app):
        with session_scope() as session:
            import_file(session, "icd10pcs", CODES / "pcs_order_sample.txt")
        before = {c: (r.id, r.descriptor, r.release_id) for c, r in _catalog("pcs").items()}
        releases, changes = _count(CatalogRelease), _count(CatalogChange)
        with pytest.raises(ImportFormatError) as caught, session_scope() as session:
            import_file(session, "icd10pcs", CODES / "pcs_order_malformed.txt")
        assert (caught.value.line, caught.value.source) == (5, "pcs_order_malformed.txt")
        assert {c: (r.id, r.descriptor, r.release_id) for c, r in _catalog("pcs").items()} == before
        assert (_count(CatalogRelease), _count(CatalogChange)) == (releases, changes)


class TestImportFile:
    def test_unknown_kind_is_refused(self, app):
        with pytest.raises(ValueError, match="unknown kind"), session_scope() as session:
            import_file(session, "icd9", CODES / "pcs_order_sample.txt")


class TestReadLines:
    def test_strips_the_byte_order_mark_and_line_ends(self, tmp_path):
        path = tmp_path / "bom.txt"
        path.write_bytes("\ufeffA0425\r\nJ1100\r\n".encode("utf-8"))
        assert read_lines(path) == ["A0425", "J1100"]

    def test_windows_1252_falls_back_when_not_utf8(self, tmp_path):
        path = tmp_path / "cp1252.txt"
        path.write_bytes("Caf\u00e9 \u2013 test\n".encode("cp1252"))
        assert read_lines(path) == ["Caf\u00e9 \u2013 test"]


class TestOfficialFile:
    """Whether a code set file is the whole official release: the option decides, else size and sections."""

    def test_the_option_decides_when_given(self):
        from consultant.codes.importers.base import official_file

        assert official_file(True, ["A0001"], 5000, "AB", "codes") == (True, "--full given")
        assert official_file(False, [f"A{n:04d}" for n in range(6000)], 10, "A", "codes") == (False, "--partial given")

    def test_fewer_codes_than_the_official_file_is_partial(self):
        from consultant.codes.importers.base import official_file

        full, basis = official_file(None, ["A0001", "B0001"], 5000, "AB", "procedure codes")
        assert not full
        assert basis == ("2 procedure codes, fewer than the 5,000 the official file has: taken as a partial file "
                         "(give --full if it is the whole official file)")

    def test_a_missing_section_is_partial_whatever_the_size(self):
        from consultant.codes.importers.base import official_file

        full, basis = official_file(None, [f"A{n:04d}" for n in range(6000)], 5000, "ABC", "procedure codes")
        assert not full and basis.startswith("no procedure codes in section(s) B, C:")

    def test_the_official_size_in_every_section_is_full(self):
        from consultant.codes.importers.base import official_file

        codes = [f"{letter}{n:04d}" for letter in "ABC" for n in range(2000)]
        assert official_file(None, codes, 5000, "ABC", "procedure codes") == (
            True, "6,000 procedure codes in every section: the whole official file")


class TestReleaseCoverage:
    def test_a_release_is_partial_with_no_dates_unless_told(self, app):
        report = _sync(ROWS)
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
        assert (release.full, release.valid_from, release.valid_to, release.setting) == (False, None, None, None)
        assert "a source of descriptors, not the whole code set" not in report.summary()  # "test" is no code set

    def test_coverage_is_stored_and_reported(self, app):
        from consultant.codes.importers.base import Coverage

        coverage = Coverage(full=True, valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 31), basis="--full given")
        report = _sync(ROWS, system="hcpcs", coverage=coverage)
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
        assert (release.full, release.valid_from, release.valid_to) == (True, date(2026, 1, 1), date(2026, 3, 31))
        assert (report.full, report.dates) == (True, "2026-01-01 to 2026-03-31")
        assert report.summary().endswith(
            "; full official release: a code missing from it is invalid (--full given); "
            "dates of service: 2026-01-01 to 2026-03-31")
