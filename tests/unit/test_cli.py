"""The `consultant` command, run in-process against a real catalog database."""

import json
from pathlib import Path

from click.testing import CliRunner

from consultant.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "codes"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


class TestCodesImport:
    def test_imports_a_file_and_reports_what_changed(self, app):
        code, out = run("codes", "import", "cpt", str(FIXTURES / "cpt_long_sample.txt"))
        assert code == 0
        assert "added" in out and "CPT" in out
        code, again = run("codes", "import", "cpt", str(FIXTURES / "cpt_long_sample.txt"), "--json")
        assert json.loads(again)["added"] == 0

    def test_a_malformed_file_is_refused_with_its_line_and_changes_nothing(self, app):
        code, out = run("codes", "import", "cpt", str(FIXTURES / "cpt_long_malformed.txt"))
        assert code == 1
        assert "not imported: cpt_long_malformed.txt: line 4:" in out
        _, shown = run("codes", "show", "47370", "--json")
        assert json.loads(shown)["status"] == "licensed-text-missing"

    def test_imported_procedure_text_is_searchable(self, app):
        run("codes", "import", "cpt", str(FIXTURES / "cpt_long_sample.txt"))
        code, out = run("codes", "search", "laparoscopic radiofrequency ablation liver tumor", "--system", "cpt",
                        "--json")
        assert code == 0
        assert json.loads(out)[0]["code"] == "47370"


class TestCodesShow:
    def test_shows_descriptor_status_and_notes(self, app):
        code, out = run("codes", "show", "K76.0")
        assert code == 0
        assert "Fatty (change of) liver, not elsewhere classified" in out
        assert "K75.81" in out

    def test_json_for_an_invalid_code_names_the_nearest_valid_ones(self, app):
        _, out = run("codes", "show", "K76.99", "--json")
        detail = json.loads(out)
        assert detail["status"] == "invalid"
        assert "K76.89" in [s["code"] for s in detail["suggestions"]]

    def test_header_lists_billable_children(self, app):
        _, out = run("codes", "show", "S72.001", "--json")
        assert json.loads(out)["children"][0]["code"] == "S72.001A"


class TestCodesCheck:
    def test_reports_excludes1_conflict(self, app):
        code, out = run("codes", "check", "K76.0", "K75.81", "--date", "2026-03-02")
        assert code == 0
        assert "Excludes1" in out and "Conflicts: K76.0 + K75.81" in out

    def test_ncci_edit_on_the_date_of_service(self, app):
        run("codes", "import", "ncci-ptp", str(FIXTURES / "ncci_practitioner_sample.txt"))
        _, out = run("codes", "check", "47370", "76940", "--date", "2026-03-02", "--json")
        [edit] = [e for e in json.loads(out)["ncci_ptp"] if e["column2"] == "76940"]
        assert (edit["column1"], edit["modifier_indicator"]) == ("47370", "1")


class TestCodesSearch:
    def test_ranks_k76_0_in_the_top_three(self, app):
        _, out = run("codes", "search", "nonalcoholic fatty liver disease", "--limit", "3")
        assert "K76.0" in out

    def test_no_match_says_so(self, app):
        _, out = run("codes", "search", "zzzzqqq")
        assert out.strip() == "no match"


class TestUsage:
    def test_empty_database_says_no_senders(self, app):
        assert run("usage")[1].strip() == "no senders yet"

    def test_missing_schema_is_a_clear_error(self, configure, tmp_path):
        configure(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        result = CliRunner().invoke(main, ["usage"])
        assert result.exit_code == 1
        assert "run `consultant db upgrade`" in result.output


class TestStaffCommands:
    def test_staff_add_then_token(self, app):
        from click.testing import CliRunner

        from consultant.cli import main

        runner = CliRunner()
        added = runner.invoke(main, ["staff", "add", "Coder@Example.org", "--role", "reviewer"],
                              input="a long password\na long password\n")
        assert added.exit_code == 0, added.output
        assert "added coder@example.org (reviewer)" in added.output
        again = runner.invoke(main, ["staff", "add", "coder@example.org", "--role", "admin",
                                     "--password", "a long password"])
        assert again.exit_code != 0 and "already has an account" in again.output
        token = runner.invoke(main, ["staff", "token", "coder@example.org"])
        assert token.exit_code == 0 and len(token.output.strip()) >= 40
