from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consultant.codes.importers import ImportFormatError, import_file, ncci
from consultant.codes.importers.base import read_lines
from consultant.codes.models import CatalogChange, CatalogRelease, NcciEdit
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"
PRACTITIONER = CODES / "ncci_practitioner_sample.txt"
HOSPITAL = CODES / "ncci_hospital_sample.txt"
HEADER = ("Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\t"
          "Modifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale")


def _file(tmp_path: Path, name: str, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    lines = ["CPT only copyright 2025 American Medical Association.  All rights reserved.", header, *rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def _edits(setting: str) -> dict[tuple[str, str, date], NcciEdit]:
    with session_scope() as session:
        rows = session.scalars(select(NcciEdit).where(NcciEdit.setting == setting)).all()
    return {(r.column1, r.column2, r.effective_date): r for r in rows}


def _counts() -> tuple[int, int, int]:
    with session_scope() as session:
        return (session.scalar(select(func.count()).select_from(NcciEdit)),
                session.scalar(select(func.count()).select_from(CatalogRelease).where(CatalogRelease.system == "ncci-ptp")),
                session.scalar(select(func.count()).select_from(CatalogChange).where(CatalogChange.system == "ncci-ptp")))


def _load(path: Path, version: str | None = None, **kwargs):
    with session_scope() as session:
        return ncci.load(session, path, version=version, **kwargs)


class TestParse:
    def test_reads_every_field_of_the_wrapped_four_row_header_layout(self):
        parsed = ncci.parse(read_lines(PRACTITIONER), "ncci_practitioner_sample.txt")
        assert len(parsed.edits) == 13
        edit = next(e for e in parsed.edits if (e.column1, e.column2) == ("47370", "76940"))
        assert (edit.effective_date, edit.deletion_date, edit.modifier_indicator) == (date(2002, 1, 1), None, "1")
        assert edit.rationale == "Standards of medical / surgical services"
        assert edit.line == 17
        assert parsed.preamble[1] == "Column1/Column2 Edits"

    def test_reads_the_one_row_header_layout(self):
        parsed = ncci.parse(read_lines(HOSPITAL))
        assert [(e.column1, e.column2) for e in parsed.edits][:2] == [("20610", "76942"), ("20610", "G0463")]

    def test_prior_1996_flag_and_deletion_date(self):
        edits = {(e.column1, e.column2, e.effective_date): e for e in ncci.parse(read_lines(PRACTITIONER)).edits}
        assert edits[("10060", "10140", date(1996, 1, 1))].prior_1996 is True
        assert edits[("97140", "97530", date(2020, 1, 1))].deletion_date == date(2021, 1, 1)
        assert edits[("47370", "47001", date(2010, 1, 1))].modifier_indicator == "9"

    def test_same_pair_with_two_effective_dates_is_two_edits(self):
        edits = [e for e in ncci.parse(read_lines(PRACTITIONER)).edits if (e.column1, e.column2) == ("29881", "29877")]
        assert [(e.effective_date, e.deletion_date, e.modifier_indicator) for e in edits] == [
            (date(2002, 1, 1), date(2021, 1, 1), "1"), (date(2021, 1, 1), None, "0")]

    def test_row_without_rationale_field_is_accepted(self):
        parsed = ncci.parse([HEADER, "11102\t11103\t\t20190101\t*\t0"])
        assert parsed.edits[0].rationale == ""

    def test_identical_duplicate_row_is_read_once(self):
        row = "20610\t76942\t\t20150101\t*\t0\tCPT Manual or CMS manual coding instructions"
        assert len(ncci.parse([HEADER, row, row]).edits) == 1

    @pytest.mark.parametrize(("fixture", "line", "reason"), [
        ("ncci_practitioner_malformed_date.txt", 13, "effective date '2021-01-01' is not YYYYMMDD"),
        ("ncci_practitioner_malformed_modifier.txt", 17, "modifier indicator '2' is not 0, 1 or 9"),
        ("ncci_practitioner_malformed_no_header.txt", 3, "edit row before the 'Column 1<TAB>Column 2' header"),
    ])
    def test_malformed_fixture_names_line_and_reason(self, fixture, line, reason):
        with pytest.raises(ImportFormatError) as raised:
            ncci.parse(read_lines(CODES / fixture), fixture)
        assert (raised.value.line, raised.value.reason, raised.value.source) == (line, reason, fixture)

    @pytest.mark.parametrize(("row", "reason"), [
        ("4737\t76940\t\t20020101\t*\t1\tx", "column 1 code '4737' is not a 5-character CPT/HCPCS code"),
        ("47370\t76940\tY\t20020101\t*\t1\tx", "prior-1996 flag 'Y' is neither '*' nor empty"),
        ("47370\t76940\t\t20020230\t*\t1\tx", "effective date '20020230' is not a calendar date"),
        ("47370\t76940\t\t20020101\t20010101\t1\tx", "deletion date 20010101 is before effective date 20020101"),
        ("47370\t76940\t\t20020101\tnever\t1\tx", "deletion date 'NEVER' is not YYYYMMDD"),
        ("47370 76940 20020101 * 1 x", "1 tab-separated fields, expected 7 (column 1, column 2, prior-1996 flag, "
                                       "effective date, deletion date, modifier indicator, rationale)"),
    ])
    def test_bad_row_is_refused_with_its_reason(self, row, reason):
        with pytest.raises(ImportFormatError) as raised:
            ncci.parse(["notice", HEADER, "47370\t76942\t\t20020101\t*\t1\tok", row])
        assert (raised.value.line, raised.value.reason) == (4, reason)

    def test_conflicting_duplicate_row_is_refused(self):
        rows = ["20610\t76942\t\t20150101\t*\t0\tx", "20610\t76942\t\t20150101\t*\t1\tx"]
        with pytest.raises(ImportFormatError, match="line 3: edit 20610/76942 effective 20150101 differs from line 2"):
            ncci.parse([HEADER, *rows])

    def test_header_with_columns_out_of_order_is_refused(self):
        header = "Column 1\tColumn 2\t*=in existence prior to 1996\tDeletion Date\tEffective Date\tModifier\tPTP Edit Rationale"
        with pytest.raises(ImportFormatError) as raised:
            ncci.parse(["notice", header, "20610\t76942\t\t20150101\t*\t0\tx"])
        assert raised.value.line == 2
        assert raised.value.reason == "header column 4 is 'deletion date', expected 'effective'"

    def test_file_without_edits_is_refused(self):
        with pytest.raises(ImportFormatError, match="line 2: no edits after the header"):
            ncci.parse(["notice", HEADER])

    def test_file_of_something_else_is_refused(self):
        with pytest.raises(ImportFormatError, match="not an NCCI PTP edit file"):
            ncci.parse(["CMS HCPCS file", "Code\tDescription", "Alpha\tBeta"])


class TestSettingOf:
    def test_cms_file_names_carry_the_setting(self):
        assert ncci.setting_of("ccipra-v321r0-f1.txt", []) == "practitioner"
        assert ncci.setting_of("ccioph-v321r0-f1.txt", []) == "hospital"

    def test_argument_names_the_setting_of_an_unnamed_file(self):
        assert ncci.setting_of("edits.txt", [], "hospital") == "hospital"

    def test_preamble_names_the_setting_when_nothing_else_does(self):
        assert ncci.setting_of("edits.txt", ["Hospital outpatient PTP edits"]) == "hospital"

    def test_argument_contradicting_the_file_name_is_refused(self):
        with pytest.raises(ImportFormatError, match="the file name says practitioner, the setting given is hospital"):
            ncci.setting_of("ccipra-v321r0-f1.txt", [], "hospital")

    def test_unknown_setting_is_refused(self):
        with pytest.raises(ImportFormatError, match="cannot tell practitioner from hospital"):
            ncci.setting_of("edits.txt", ["Column1/Column2 Edits"])
        with pytest.raises(ValueError, match="setting 'facility'"):
            ncci.setting_of("edits.txt", [], "facility")


class TestVersionOf:
    def test_version_from_the_cms_file_name(self):
        assert ncci.version_of("ccipra-v321r0-f1.txt", "practitioner") == "NCCI PTP practitioner v32.1"
        assert ncci.version_of("ccioph-v322r1-f4.txt", "hospital") == "NCCI PTP hospital v32.2r1"
        assert ncci.version_of("ptp-v321.txt", "practitioner") == "NCCI PTP practitioner v32.1"

    def test_version_from_a_quarter_in_the_name_or_preamble(self):
        assert ncci.version_of("medicare-ncci-2026q1-practitioner-ptp.txt", "practitioner") == "NCCI PTP practitioner 2026 Q1"
        assert ncci.version_of("edits.txt", "hospital", ["Edits for 2026 Q2"]) == "NCCI PTP hospital 2026 Q2"

    def test_otherwise_the_file_name_is_the_version(self):
        assert ncci.version_of("ncci_hospital_sample.txt", "hospital") == "NCCI PTP hospital (ncci_hospital_sample)"


class TestLoad:
    def test_imports_every_edit_with_its_release(self, app):
        report = _load(PRACTITIONER, "NCCI PTP practitioner 2026 Q1")
        assert (report.system, report.rows, report.added, report.changed, report.removed) == ("ncci-ptp", 13, 13, 0, 0)
        assert report.version == "NCCI PTP practitioner 2026 Q1"
        assert report.source == "CMS NCCI PTP edits, practitioner (ncci_practitioner_sample.txt)"
        edit = _edits("practitioner")[("47370", "76940", date(2002, 1, 1))]
        assert (edit.modifier_indicator, edit.deletion_date, edit.rationale) == (
            "1", None, "Standards of medical / surgical services")
        with session_scope() as session:
            release = session.get(CatalogRelease, edit.release_id)
            assert (release.version, release.added, release.changed, release.removed) == (
                "NCCI PTP practitioner 2026 Q1", 13, 0, 0)
        assert _counts()[2] == 0  # a first import is all additions: no per-edit history

    def test_settings_are_kept_apart(self, app):
        _load(PRACTITIONER)
        _load(HOSPITAL)
        assert len(_edits("practitioner")) == 13
        assert len(_edits("hospital")) == 5
        assert ("20610", "G0463", date(2016, 1, 1)) in _edits("hospital")
        _load(PRACTITIONER)
        assert len(_edits("hospital")) == 5

    def test_reimport_of_a_newer_release_updates_in_place(self, app, tmp_path):
        _load(PRACTITIONER, "NCCI PTP practitioner v32.0")
        before = _edits("practitioner")
        rows = [line for line in read_lines(PRACTITIONER)[6:] if not line.startswith("99213\t36415")]
        rows = [line.replace("47370\t76940\t\t20020101\t*\t1", "47370\t76940\t\t20020101\t20260401\t1") for line in rows]
        rows.append("11102\t11103\t\t20260401\t*\t0\tHCPCS/CPT procedure code definition")
        newer = _file(tmp_path, "ccipra-v321r0.txt", *rows)

        report = _load(newer)

        assert report.version == "NCCI PTP practitioner v32.1"
        assert (report.rows, report.added, report.changed, report.removed) == (13, 1, 1, 1)
        after = _edits("practitioner")
        assert len(after) == 13
        assert ("99213", "36415", date(2015, 1, 1)) not in after
        changed = after[("47370", "76940", date(2002, 1, 1))]
        assert changed.id == before[("47370", "76940", date(2002, 1, 1))].id
        assert changed.deletion_date == date(2026, 4, 1)
        kept = after[("20610", "76942", date(2015, 1, 1))]
        assert kept.id == before[("20610", "76942", date(2015, 1, 1))].id
        assert {r.release_id for r in after.values()} == {report.release_id}
        with session_scope() as session:
            changes = {(c.code, c.change, c.field, c.old, c.new) for c in session.scalars(
                select(CatalogChange).where(CatalogChange.release_id == report.release_id))}
        assert changes == {
            ("47370/76940", "changed", "deletion_date", None, "2026-04-01"),
            ("99213/36415", "removed", None, "2015-01-01", None),
            ("11102/11103", "added", None, None, "2026-04-01"),
        }

    def test_reimport_of_the_same_file_changes_nothing(self, app):
        _load(PRACTITIONER)
        before = {k: (r.id, r.modifier_indicator, r.deletion_date) for k, r in _edits("practitioner").items()}
        report = _load(PRACTITIONER)
        assert (report.added, report.changed, report.removed) == (0, 0, 0)
        assert {k: (r.id, r.modifier_indicator, r.deletion_date) for k, r in _edits("practitioner").items()} == before

    def test_part_file_replaces_only_its_own_column_1_codes(self, app, tmp_path):
        part1 = _file(tmp_path, "ccipra-v321r0-f1.txt", "10060\t10140\t*\t19960101\t*\t1\tMutually exclusive procedures",
                      "20610\t76942\t\t20150101\t*\t0\tCPT Manual or CMS manual coding instructions")
        part2 = _file(tmp_path, "ccipra-v321r0-f2.txt", "47370\t76940\t\t20020101\t*\t1\tStandards of medical / surgical services",
                      "99213\t36415\t\t20150101\t*\t1\tStandards of medical / surgical services")
        _load(part1)
        _load(part2)
        assert len(_edits("practitioner")) == 4
        again = _file(tmp_path, "ccipra-v322r0-f2.txt", "47370\t76940\t\t20020101\t*\t1\tStandards of medical / surgical services")
        report = _load(again)
        assert (report.added, report.changed, report.removed) == (0, 0, 1)
        assert sorted(k[:2] for k in _edits("practitioner")) == [("10060", "10140"), ("20610", "76942"), ("47370", "76940")]
        # a part's rows that moved to another part are picked up there, by their column 1 code
        moved = _file(tmp_path, "ccipra-v322r0-f1.txt", "10060\t10140\t*\t19960101\t*\t1\tMutually exclusive procedures",
                      "20610\t76942\t\t20150101\t*\t0\tCPT Manual or CMS manual coding instructions",
                      "47370\t76940\t\t20020101\t*\t1\tStandards of medical / surgical services")
        assert _load(moved).removed == 0
        assert len(_edits("practitioner")) == 3

    @pytest.mark.parametrize("fixture", [
        "ncci_practitioner_malformed_date.txt", "ncci_practitioner_malformed_modifier.txt",
        "ncci_practitioner_malformed_no_header.txt"])
    def test_malformed_file_changes_nothing(self, app, fixture):
        _load(HOSPITAL)
        before = (_counts(), {k: r.id for k, r in _edits("hospital").items()})
        with pytest.raises(ImportFormatError) as raised:
            _load(CODES / fixture, setting="practitioner")
        assert raised.value.source == fixture
        assert (_counts(), {k: r.id for k, r in _edits("hospital").items()}) == before
        assert _edits("practitioner") == {}

    def test_setting_contradicting_the_file_name_writes_nothing(self, app):
        with pytest.raises(ImportFormatError):
            _load(HOSPITAL, setting="practitioner")
        assert _counts() == (0, 0, 0)

    def test_import_file_dispatches_to_this_importer(self, app):
        with session_scope() as session:
            report = import_file(session, "ncci-ptp", HOSPITAL, version="NCCI PTP hospital v32.1")
        assert (report.system, report.version, report.added) == ("ncci-ptp", "NCCI PTP hospital v32.1", 5)


class TestCoverage:
    """A PTP file keeps its edits' history, so it covers every date up to the end of its quarter."""

    def _release(self, report) -> CatalogRelease:
        with session_scope() as session:
            return session.get(CatalogRelease, report.release_id)

    def test_the_cms_file_name_gives_the_quarter_and_the_part(self, app, tmp_path):
        named = tmp_path / "ccipra-v321r0-f1.txt"
        named.write_bytes(PRACTITIONER.read_bytes())
        release = self._release(_load(named))
        assert (release.setting, release.valid_from, release.valid_to) == ("practitioner", None, date(2026, 6, 30))
        assert release.full is False  # part 1 of the file

    def test_a_version_given_gives_the_quarter(self, app):
        release = self._release(_load(HOSPITAL, "NCCI PTP hospital v31.3"))
        assert (release.setting, release.valid_to, release.full) == ("hospital", date(2025, 12, 31), True)

    def test_nothing_to_go_by_no_dates(self, app):
        report = _load(PRACTITIONER)
        assert (report.dates, self._release(report).valid_to) == ("dates not stated", None)

    def test_full_or_partial_is_not_an_option_for_edit_files(self, app):
        with session_scope() as session:
            with pytest.raises(ValueError, match="not ncci-ptp"):
                import_file(session, "ncci-ptp", PRACTITIONER, full=True)
