"""Every CPT descriptor here is invented and says so: AMA text never enters this repository."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from consultant.codes.importers import ImportFormatError, cpt, hcpcs, import_file
from consultant.codes.models import CatalogCode, CatalogRelease
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"
LONG, SHORT = CODES / "cpt_long_sample.txt", CODES / "cpt_short_sample.txt"
MODIFIERS = CODES / "cpt_modifier_sample.txt"


def _code(system: str, code: str) -> CatalogCode | None:
    with session_scope() as session:
        return session.scalar(select(CatalogCode).where(CatalogCode.system == system, CatalogCode.code == code))


def _load(path: Path, version: str | None = None):
    with session_scope() as session:
        return cpt.load(session, path, version=version)


def _file(tmp_path: Path, *lines: str, name: str = "LONGULT.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


class TestFixtures:
    @pytest.mark.parametrize("name", ["cpt_long_sample.txt", "cpt_short_sample.txt", "cpt_modifier_sample.txt",
                                      "cpt_long_malformed.txt"])
    def test_every_descriptor_says_it_is_invented_not_ama_text(self, name):
        lines = [line for line in (CODES / name).read_text().splitlines() if line.strip()]
        assert lines
        assert all("not ama" in line.lower() for line in lines)


class TestLoad:
    def test_long_file_fills_descriptors_by_category(self, app):
        report = _load(LONG)
        assert (report.system, report.added, report.rows) == ("cpt", 6, 6)
        row = _code("cpt", "47370")
        assert row.descriptor.startswith("Invented test text: laparoscopic ablation of liver tumor(s), radiofrequency")
        assert (row.kind, row.short_descriptor) == ("billable", None)
        assert row.attributes == {"category": "I", "descriptor_from": "long"}
        assert {code: _code("cpt", code).attributes["category"] for code in ("1036F", "0042T", "0001U")} == \
            {"1036F": "II", "0042T": "III", "0001U": "PLA"}
        assert (row.source, row.version) == ("cpt_long_sample.txt", "CPT (licensed file)")
        assert _code("cpt", "Code") is None  # the header line was skipped

    def test_short_file_after_the_long_one_keeps_the_long_descriptor(self, app):
        _load(LONG)
        report = _load(SHORT)
        assert (report.added, report.changed, report.removed) == (0, 6, 0)
        row = _code("cpt", "47370")
        assert row.descriptor.startswith("Invented test text: laparoscopic ablation")
        assert row.short_descriptor == "INVENTED SHORT 47370 NOT AMA"
        assert row.attributes["descriptor_from"] == "long"

    def test_long_file_after_the_short_one_takes_over_the_descriptor_and_keeps_the_short(self, app):
        _load(SHORT)
        assert _code("cpt", "99213").descriptor == "INVENTED SHORT 99213 NOT AMA"
        _load(LONG)
        row = _code("cpt", "99213")
        assert (row.descriptor, row.short_descriptor) == ("Invented test descriptor for 99213 - not AMA text",
                                                          "INVENTED SHORT 99213 NOT AMA")
        report = _load(LONG)
        assert (report.changed, _code("cpt", "99213").short_descriptor) == (0, "INVENTED SHORT 99213 NOT AMA")

    def test_modifier_file_goes_to_the_modifier_system_marked_as_cpt(self, app):
        report = _load(MODIFIERS)
        assert (report.system, report.added) == ("modifier", 3)
        row = _code("modifier", "59")
        assert (row.kind, row.descriptor) == ("modifier", "Invented test descriptor for modifier 59 - not AMA text")
        assert row.attributes["set"] == "cpt"
        assert _code("cpt", "59") is None

    def test_modifier_file_leaves_hcpcs_modifiers_alone(self, app, tmp_path):
        with session_scope() as session:
            hcpcs.load(session, CODES / "hcpcs_anweb_sample.txt")
        _load(MODIFIERS)
        report = _load(_file(tmp_path, "25\tInvented test descriptor for modifier 25 - not AMA text", name="MODUL.txt"))
        assert report.removed == 2  # 59 and P1, not LT, RT or XS
        assert _code("modifier", "LT").attributes["set"] == "hcpcs"
        assert _code("modifier", "59") is None

    def test_registry_import_with_version_from_the_file_name_or_given(self, app, tmp_path):
        path = tmp_path / "LONGULT_2026.txt"
        shutil.copyfile(LONG, path)
        with session_scope() as session:
            report = import_file(session, "cpt", path)
        assert (report.version, report.source) == ("CPT 2026 (licensed file)", "LONGULT_2026.txt")
        _load(path, version="CPT 2026 (licensed file, errata)")
        assert _code("cpt", "0001U").version == "CPT 2026 (licensed file, errata)"

    def test_malformed_file_writes_nothing(self, app):
        with pytest.raises(ImportFormatError) as caught:
            _load(CODES / "cpt_long_malformed.txt")
        assert (caught.value.line, caught.value.source) == (4, "cpt_long_malformed.txt")
        assert "'9921' is not a CPT code" in caught.value.reason
        assert _code("cpt", "47370") is None
        with session_scope() as session:
            assert session.scalar(select(CatalogRelease).where(CatalogRelease.system == "cpt")) is None


class TestParse:
    def test_copyright_and_header_lines_before_the_first_code_are_skipped(self, tmp_path):
        system, rows, header = cpt.parse(_file(tmp_path, "CPT 2026 copyright notice (invented stand-in)", "",
                                               "Code\tDescriptor", "47370\tInvented test descriptor - not AMA text"))
        assert (system, [row.code for row in rows]) == ("cpt", ["47370"])
        assert header == ["CPT 2026 copyright notice (invented stand-in)", "Code\tDescriptor"]

    @pytest.mark.parametrize(("line", "reason"), [
        ("47371 Invented descriptor without a TAB - not AMA text", "1 TAB-separated fields"),
        ("47371\tInvented - not AMA text\textra", "3 TAB-separated fields"),
        ("4737\tInvented - not AMA text", "'4737' is not a CPT code"),
        ("4737X\tInvented - not AMA text", "'4737X' is not a CPT code"),
        ("Notes\tInvented - not AMA text", "'Notes' is not a CPT code"),
        ("47371\t   ", "47371 has no descriptor"),
        ("25\tInvented modifier - not AMA text", "25 in a file of codes"),
        ("47370\tInvented again - not AMA text", "47370 repeats line 1"),
    ])
    def test_malformed_line_after_the_first_code_is_named(self, tmp_path, line, reason):
        with pytest.raises(ImportFormatError) as caught:
            cpt.parse(_file(tmp_path, "47370\tInvented test descriptor - not AMA text", line))
        assert caught.value.line == 2
        assert reason in caught.value.reason

    def test_code_in_a_modifier_file_is_refused(self, tmp_path):
        with pytest.raises(ImportFormatError, match="line 2: 47370 in a file of modifiers"):
            cpt.parse(_file(tmp_path, "59\tInvented - not AMA text", "47370\tInvented - not AMA text"))

    def test_a_leading_line_that_starts_like_a_code_is_not_taken_for_a_header(self, tmp_path):
        with pytest.raises(ImportFormatError, match="line 1: '4737' is not a CPT code"):
            cpt.parse(_file(tmp_path, "4737\tInvented - not AMA text", "47370\tInvented - not AMA text"))

    def test_file_without_codes_is_refused(self, tmp_path):
        with pytest.raises(ImportFormatError, match="no codes"):
            cpt.parse(_file(tmp_path, "Code\tDescriptor"))


class TestVariant:
    @pytest.mark.parametrize(("name", "length"), [
        ("LONGULT.txt", "long"), ("MEDU.txt", "medium"), ("SHORTU.txt", "short"),
        ("cpt_short_sample.txt", "short"), ("cpt_long_sample.txt", "long"), ("codes.txt", "long"),
    ])
    def test_from_the_ama_file_name(self, name, length):
        assert cpt.variant(Path(name)) == length


class TestDefaultVersion:
    def test_year_in_the_file_name(self):
        assert cpt.default_version(Path("2026_LONGULT.txt"), []) == "CPT 2026 (licensed file)"

    def test_year_in_the_header_lines(self):
        assert cpt.default_version(Path("LONGULT.txt"), ["CPT\u00ae 2026 invented stand-in notice"]) == \
            "CPT 2026 (licensed file)"

    def test_nothing_to_go_by(self):
        assert cpt.default_version(Path("LONGULT.txt"), ["Code\tDescriptor"]) == "CPT (licensed file)"


class TestCoverage:
    """A licensee's CPT file is a source of descriptors: it never defines which CPT codes exist."""

    def test_never_full_and_dated_by_the_cpt_year(self, app, tmp_path):
        report = _load(CODES / "cpt_long_sample.txt", version="CPT 2026 (licensed file)")
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
        assert (release.full, release.valid_from, release.valid_to) == (False, date(2026, 1, 1), date(2026, 12, 31))
        assert "never defines which CPT codes exist" in report.summary()

    def test_without_a_year_its_dates_are_not_stated(self, app):
        report = _load(CODES / "cpt_long_sample.txt")
        assert (report.full, report.dates) == (False, "dates not stated")

    def test_full_is_refused_and_nothing_written(self, app):
        with session_scope() as session:
            with pytest.raises(ValueError, match="never defines which CPT codes exist"):
                import_file(session, "cpt", CODES / "cpt_long_sample.txt", full=True)
        assert _code("cpt", "47370") is None
