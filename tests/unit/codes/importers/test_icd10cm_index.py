from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from consultant.cli import main
from consultant.codes.importers import ImportFormatError, icd10cm_index, import_file
from consultant.codes.models import CatalogRelease, IndexTerm
from consultant.db.session import session_scope

SAMPLE = Path(__file__).parents[3] / "fixtures" / "codes" / "icd10cm_index_sample.xml"


def _terms() -> dict[str, set[str]]:
    with session_scope() as session:
        found: dict[str, set[str]] = {}
        for term, code in session.execute(select(IndexTerm.term, IndexTerm.code)):
            found.setdefault(term, set()).add(code)
        return found


def _file(tmp_path: Path, body: str, root: str = "ICD10CM.index") -> Path:
    path = tmp_path / "icd10cm_index_2026.xml"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n<version>2026</version>\n'
                    f"<letter><title>A</title>\n{body}\n</letter>\n</{root}>\n")
    return path


class TestParse:
    def test_terms_are_paths_from_the_main_term_with_their_nonessential_modifiers(self):
        rows = {(r.term, r.code) for r in icd10cm_index.terms(icd10cm_index.parse(SAMPLE))}
        assert ("Constipation (atonic) (simple), slow transit", "K59.01") in rows
        assert ("Influenza (bronchial) (epidemic), with, pneumonia", "J11.00") in rows
        assert ("Sprain, ankle", "S93.40") in rows  # the trailing dash of a category goes

    def test_see_references_bring_the_codes_of_the_term_they_name(self):
        rows = {r.term: r for r in icd10cm_index.terms(icd10cm_index.parse(SAMPLE))}
        # "Infarct, myocardium": main term "Infarct, infarction", subterm "myocardium, myocardial"
        assert (rows["Attack, attacks, heart"].code, rows["Attack, attacks, heart"].see) == ("I21.9", "Infarct, myocardium")
        assert rows["Megrim"].code == "G43.909"
        assert "Attack, attacks" not in rows  # "see also" alone names no code

    def test_the_release_year_comes_from_the_file(self):
        assert icd10cm_index.default_version(icd10cm_index.parse(SAMPLE), SAMPLE) == "ICD-10-CM Index 2026"

    @pytest.mark.parametrize("body, line, reason", [
        ("<mainTerm><title>Ague</title>\n<term level=\"2\"><title>x</title><code>B54</code></term></mainTerm>", 6,
         'level="2"> under a term of level 0'),
        ("<mainTerm><title>Ague</title>\n<code>malaria</code></mainTerm>", 6, "not an ICD-10-CM code"),
        ("<mainTerm><code>B54</code>\n</mainTerm>", 5, "without a <title>"),
        ("<mainTerm><title>Ague</title>\n<code>B54</code></term>", 6, "not well-formed XML"),
        ("<term><title>x</title></term>", 5, "outside any <mainTerm>"),
    ])
    def test_refuses_a_malformed_file_naming_the_line(self, tmp_path, body, line, reason):
        with pytest.raises(ImportFormatError, match=reason) as raised:
            icd10cm_index.parse(_file(tmp_path, body))
        assert raised.value.line == line

    def test_refuses_another_xml_file(self, tmp_path):
        with pytest.raises(ImportFormatError, match="root element is <ICD10CM.tabular>"):
            icd10cm_index.parse(_file(tmp_path, "", root="ICD10CM.tabular"))


class TestImport:
    def test_writes_the_terms_under_an_index_release(self, app):
        with session_scope() as session:
            report = import_file(session, "icd10cm-index", SAMPLE)
        assert (report.system, report.version, report.added, report.removed) == ("icd10cm-index", "ICD-10-CM Index 2026",
                                                                               report.rows, 0)
        assert _terms()["Quinsy"] == {"J36"}
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
            assert (release.system, release.source) == ("icd10cm-index", "icd10cm_index_sample.xml")

    def test_a_new_file_replaces_the_terms_of_the_last_and_counts_the_difference(self, app, tmp_path):
        with session_scope() as session:
            import_file(session, "icd10cm-index", SAMPLE)
        smaller = _file(tmp_path, "<mainTerm><title>Quinsy</title><code>J36</code></mainTerm>\n"
                                  "<mainTerm><title>Ague</title><code>B54</code></mainTerm>")
        with session_scope() as session:
            report = import_file(session, "icd10cm-index", smaller)
        assert _terms() == {"Quinsy": {"J36"}, "Ague": {"B54"}}
        assert (report.added, report.removed, report.rows) == (1, 20, 2)

    def test_a_malformed_file_changes_nothing(self, app, tmp_path):
        with session_scope() as session:
            import_file(session, "icd10cm-index", SAMPLE)
        before = _terms()
        with pytest.raises(ImportFormatError):
            with session_scope() as session:
                import_file(session, "icd10cm-index", _file(tmp_path, "<mainTerm><title>x</title><code>?</code></mainTerm>"))
        assert _terms() == before

    def test_a_file_that_names_no_code_is_refused(self, app, tmp_path):
        with pytest.raises(ImportFormatError, match="no index term names a code"):
            with session_scope() as session:
                import_file(session, "icd10cm-index", _file(tmp_path, "<mainTerm><title>x</title><see>y</see></mainTerm>"))
        with session_scope() as session:
            assert session.scalar(select(func.count()).select_from(IndexTerm)) == 0


class TestCommand:
    def test_codes_import_icd10cm_index(self, app):
        result = CliRunner().invoke(main, ["codes", "import", "icd10cm-index", str(SAMPLE)])
        assert result.exit_code == 0, result.output
        assert "ICD-10-CM Index 2026 from icd10cm_index_sample.xml: 21 rows, 21 added" in result.output
        found = CliRunner().invoke(main, ["codes", "search", "costiveness", "--limit", "1"])
        assert found.output.split()[0] == "K59.00"
