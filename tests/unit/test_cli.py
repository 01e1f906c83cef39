"""The `consultant` command, run in-process against a real catalog database."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from consultant.cli import main
from consultant.db.models import InboundEmail
from consultant.db.session import session_scope
from tests.builders import question_email
from tests.support.servers import free_port

FIXTURES = Path(__file__).parent.parent / "fixtures" / "codes"


@pytest.fixture
def metered_cli(configure, catalog_db, tmp_path):
    from consultant.shipped import shipped

    copy = tmp_path / "consultant.sqlite3"
    shutil.copyfile(catalog_db, copy)
    return configure(database_url=f"sqlite:///{copy}", plans=str(shipped("config") / "plans.toml"))


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

    def test_full_or_partial_is_stored_on_the_release_and_reported(self, app, tmp_path):
        official = tmp_path / "HCPC2026_JAN_ANWEB.txt"
        shutil.copyfile(FIXTURES / "hcpcs_anweb_sample.txt", official)
        code, out = run("codes", "import", "hcpcs", str(official))
        assert code == 0 and "taken as a partial file (give --full if it is the whole official file)" in out
        _, shown = run("codes", "show", "G0438", "--system", "hcpcs", "--date", "2026-02-02", "--json")
        assert (json.loads(shown)["status"], json.loads(shown)["suggestions"]) == ("not-in-loaded-file", [])
        code, out = run("codes", "import", "hcpcs", str(official), "--full", "--json")
        assert (json.loads(out)["full"], json.loads(out)["dates"]) == (True, "2026-01-01 to 2026-03-31")
        _, shown = run("codes", "show", "G0438", "--system", "hcpcs", "--date", "2026-02-02", "--json")
        assert json.loads(shown)["status"] == "invalid" and json.loads(shown)["suggestions"]
        code, out = run("codes", "import", "hcpcs", str(official), "--partial")
        assert code == 0 and "--partial given" in out

    def test_a_cpt_file_cannot_be_declared_full(self, app):
        code, out = run("codes", "import", "cpt", str(FIXTURES / "cpt_long_sample.txt"), "--full")
        assert code == 1
        assert "not imported: --full: a licensee's CPT file is a source of descriptors" in out

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
        _, out = run("codes", "show", "K76.99", "--date", "2026-03-02", "--json")
        detail = json.loads(out)
        assert detail["status"] == "invalid"
        assert detail["release"]["dates"] == "2025-10-01 to 2026-09-30"
        assert "K76.89" in [s["code"] for s in detail["suggestions"]]

    def test_a_date_the_icd10cm_release_does_not_cover_gets_no_invalid_verdict(self, app):
        _, out = run("codes", "show", "K76.99", "--date", "2026-12-02")
        assert out.splitlines()[0] == (
            "K76.99  ICD-10-CM  not in ICD-10-CM 2026, which covers 2025-10-01 to 2026-09-30: no loaded release "
            "covers 2026-12-02, so its validity is not checked  (date of service 2026-12-02)")
        assert "Did you mean" not in out

    def test_a_cpt_code_missing_from_the_licensees_file_is_not_called_invalid(self, app):
        run("codes", "import", "cpt", str(FIXTURES / "cpt_long_sample.txt"))  # has 99213, not 99214
        code, out = run("codes", "show", "99214", "--date", "2026-03-02")
        assert code == 0
        assert out.splitlines()[0] == ("99214  CPT  not in the loaded CPT file (CPT (licensed file), dates not "
                                       "stated)  (date of service 2026-03-02)")
        assert "valid code" not in out and "Did you mean" not in out and "99213" not in out
        assert "In plain words:" in out

    def test_header_lists_billable_children(self, app):
        _, out = run("codes", "show", "S72.001", "--json")
        assert json.loads(out)["children"][0]["code"] == "S72.001A"


class TestCodesCheck:
    def test_reports_excludes1_conflict_with_exit_status_3(self, app):
        code, out = run("codes", "check", "K76.0", "K75.81", "--date", "2026-03-02")
        assert code == 3
        assert "Excludes1" in out and "Conflicts: K76.0 + K75.81" in out

    def test_no_conflict_exits_0(self, app):
        code, out = run("codes", "check", "K76.0", "E11.9", "--date", "2026-03-02")
        assert code == 0
        assert "Conflicts:" not in out

    def test_ncci_edit_on_the_date_of_service(self, app):
        run("codes", "import", "ncci-ptp", str(FIXTURES / "ncci_practitioner_sample.txt"))
        _, out = run("codes", "check", "47370", "76940", "--date", "2026-03-02", "--json")
        [edit] = [e for e in json.loads(out)["ncci_ptp"] if e["column2"] == "76940"]
        assert (edit["column1"], edit["modifier_indicator"]) == ("47370", "1")

    def test_tables_not_loaded_are_named_never_called_no_edit(self, app):
        code, out = run("codes", "check", "47370", "76940", "--date", "2026-03-02")
        assert code == 0
        assert "Conflicts not checked: no table that pairs these codes was checked for 2026-03-02." in out
        assert "Not checked: NCCI PTP practitioner edits (not imported); NCCI PTP hospital edits (not imported)" in out
        assert "No conflict" not in out and "Excludes" not in out
        _, out = run("codes", "check", "47370", "76940", "--date", "2026-03-02", "--json")
        tables = {t["table"]: t for t in json.loads(out)["tables"]}
        assert (tables["ncci:practitioner"]["checked"], tables["ncci:practitioner"]["reason"]) == (False, "not imported")

    def test_the_tables_checked_are_named_with_their_release_and_dates(self, app, tmp_path):
        named = tmp_path / "ccipra-v321r0.txt"
        shutil.copyfile(FIXTURES / "ncci_practitioner_sample.txt", named)
        run("codes", "import", "ncci-ptp", str(named))
        _, out = run("codes", "check", "99213", "76940", "--date", "2026-03-02")
        assert "No conflict in the tables checked." in out
        assert "Checked for 2026-03-02: NCCI PTP practitioner edits [NCCI PTP practitioner v32.1, through 2026-06-30]" in out
        assert "Not checked: NCCI PTP hospital edits (not imported)" in out
        _, out = run("codes", "check", "99213", "76940", "--date", "2026-07-01", "--json")
        tables = {t["table"]: t for t in json.loads(out)["tables"]}
        assert tables["ncci:practitioner"]["checked"] is False
        assert tables["ncci:practitioner"]["reason"] == "NCCI PTP practitioner v32.1 covers through 2026-06-30, not 2026-07-01"


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

    def test_the_embedded_database_prepares_itself_on_first_use(self, configure, tmp_path):
        configure(database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}")
        result = CliRunner().invoke(main, ["usage"])
        assert result.exit_code == 0
        assert "created the schema at revision" in result.stderr
        assert result.stdout.strip() == "no senders yet"
        again = CliRunner().invoke(main, ["usage"])
        assert again.stderr == ""  # prepared once

    def test_a_server_database_without_schema_names_the_command_to_run(self, configure, pg_url):
        configure(database_url=pg_url)
        result = CliRunner().invoke(main, ["usage"])
        assert result.exit_code == 1
        assert "has no current schema: run `consultant db upgrade`" in result.output
        assert "password" not in pg_url or "password" not in result.output


class TestDatabaseCommands:
    def test_an_unreachable_server_database_is_one_clear_line(self, configure):
        configure(database_url=f"postgresql+psycopg://nobody:secret@127.0.0.1:{free_port()}/none")
        result = CliRunner().invoke(main, ["usage"])
        assert result.exit_code == 1
        assert "cannot reach the database at postgresql+psycopg://nobody:***@127.0.0.1" in result.output
        assert "secret" not in result.output and "Traceback" not in result.output

    def test_db_upgrade_says_what_it_did(self, configure, pg_url):
        configure(database_url=pg_url)
        first = run("db", "upgrade")[1]
        assert "created the schema at revision" in first and "tables)" in first
        assert "schema already at revision" in run("db", "upgrade")[1]

    def test_a_server_database_without_codes_names_codes_load(self, configure, pg_url):
        configure(database_url=pg_url)
        run("db", "upgrade")
        result = CliRunner().invoke(main, ["codes", "show", "K76.0"])
        assert result.exit_code == 1
        assert "no ICD-10-CM codes" in result.output and "run `consultant codes load`" in result.output


class TestUsageReport:
    def test_month_sender_org_json_and_csv(self, metered_cli):
        from tests.unit.consult.test_metering import ask

        run("orgs", "add", "Clinic", "--domain", "clinic.example")
        ask(metered_cli, sender="dana@clinic.example")
        ask(metered_cli, "What is 99213?", sender="lee@clinic.example")
        ask(metered_cli, "What is E11.9?", sender="lee@clinic.example", subject="again")
        rows = {r["address"]: r for r in json.loads(run("usage", "--json")[1])}
        assert (rows["lee@clinic.example"]["questions"], rows["lee@clinic.example"]["reviewed"],
                rows["lee@clinic.example"]["held"], rows["lee@clinic.example"]["remaining"]) == (1, 1, 1, 0)
        assert (rows["dana@clinic.example"]["answered_auto"], rows["dana@clinic.example"]["plan"]) == (1, "guest")
        [clinic] = json.loads(run("usage", "--org", "--json")[1])
        assert (clinic["address"], clinic["questions"], clinic["held"]) == ("Clinic", 2, 1)
        assert json.loads(run("usage", "--month", "1999-01", "--json")[1])[0]["questions"] == 0
        lines = run("usage", "--csv")[1].splitlines()
        assert lines[0].startswith("address,plan,questions,replies,answered_auto,reviewed,held,remaining")
        assert CliRunner().invoke(main, ["usage", "--month", "March"]).exit_code == 2


class TestSenders:
    def test_set_plan_show_list_and_release(self, metered_cli, dispatched):
        from tests.unit.consult.test_metering import ask, inbound_status

        ask(metered_cli)
        held_id, _ = ask(metered_cli, "What is E11.9?", subject="second")
        code, out = run("senders", "show", "Coder@Example.org")
        assert code == 0 and "plan guest" in out and "1 held" in out and "0 of 1" in out
        assert "coder@example.org  guest  0 left  1 held" in run("senders", "list")[1]
        result = CliRunner().invoke(main, ["senders", "set-plan", "coder@example.org", "gold"])
        assert result.exit_code == 1 and "no plan named 'gold'" in result.output
        assert run("senders", "release", "coder@example.org")[1].strip() == f"released 1 message(s): {held_id}"
        assert inbound_status(held_id)[0] == "received"
        result = CliRunner().invoke(main, ["senders", "release", "--inbound", str(held_id)])
        assert result.exit_code == 1 and f"not held: {held_id}" in result.output
        assert run("senders", "set-plan", "coder@example.org", "subscriber", "--billing-day", "5")[0] == 0
        assert "renewing on" in run("senders", "show", "coder@example.org")[1]
        result = CliRunner().invoke(main, ["senders", "show", "nobody@example.org"])
        assert result.exit_code == 1 and "no sender" in result.output


class TestImap:
    def test_without_a_url_says_what_to_set(self, configure):
        configure()
        code, out = run("imap")
        assert code == 1
        assert "set CONSULTANT_IMAP_URL" in out

    def test_a_bad_url_is_refused_before_anything_starts(self, configure):
        configure(imap_url="imaps://user:secret@mail.example.com/INBOX?tls=none")
        code, out = run("imap")
        assert code == 1
        assert "imaps:// is TLS" in out and "secret" not in out


def _quarantine(inbound_id: int, reason: str) -> None:
    with session_scope() as session:
        session.execute(update(InboundEmail).where(InboundEmail.id == inbound_id)
                        .values(status="quarantined", status_reason=reason))


class TestInject:
    def test_prints_outcome_counts_for_each_path(self, app, tmp_path):
        (tmp_path / "a.eml").write_bytes(question_email())
        box = tmp_path / "box.mbox"
        box.write_bytes(b"From coder@example.org Tue Nov 24 09:00:00 2026\n" + question_email().replace(b"\r\n", b"\n"))
        code, out = run("inject", str(tmp_path / "a.eml"), str(box), str(tmp_path / "a.eml"))
        assert code == 0
        assert out.splitlines() == [
            f"{tmp_path / 'a.eml'} (eml): 1 stored, 0 duplicate, 0 refused",
            f"{box} (mbox): 1 stored, 0 duplicate, 0 refused",
            f"{tmp_path / 'a.eml'} (eml): 0 stored, 1 duplicate, 0 refused",
        ]

    def test_a_refused_file_is_named_with_its_reason_and_exits_1(self, configure, catalog_db, tmp_path):
        copy = tmp_path / "db.sqlite3"
        shutil.copyfile(catalog_db, copy)
        configure(database_url=f"sqlite:///{copy}", max_message_bytes="1000")
        (tmp_path / "big.eml").write_bytes(question_email("x" * 2000))
        result = CliRunner().invoke(main, ["inject", str(tmp_path / "big.eml")])
        assert result.exit_code == 1
        assert f"refused {tmp_path / 'big.eml'}: larger than CONSULTANT_MAX_MESSAGE_BYTES (1000 bytes)" in result.output


class TestInbox:
    def test_list_shows_quarantined_messages_with_their_reason(self, app, tmp_path):
        (tmp_path / "a.eml").write_bytes(question_email(sender="jane@clinic.example"))
        (tmp_path / "b.eml").write_bytes(question_email())
        run("inject", str(tmp_path))
        _quarantine(1, "more than 1000 MIME parts")
        code, out = run("inbox", "list", "--status", "quarantined")
        assert code == 0
        header, row = out.splitlines()
        assert header.split() == ["id", "received_at", "sender", "size", "status", "reason"]
        assert row.split()[0] == "1" and "jane@clinic.example" in row
        assert row.endswith("quarantined  more than 1000 MIME parts")
        _, listed = run("inbox", "list", "--status", "all", "--json")
        assert [r["status"] for r in json.loads(listed)] == ["quarantined", "received"]
        _, default = run("inbox", "list", "--json")  # quarantined by default, as the README says
        assert [r["id"] for r in json.loads(default)] == [1]

    def test_list_takes_every_status_a_row_can_have(self, app, tmp_path):
        (tmp_path / "a.eml").write_bytes(question_email())
        run("inject", str(tmp_path))
        with session_scope() as session:
            session.execute(update(InboundEmail).values(status="held", status_reason="over quota"))
        code, out = run("inbox", "list", "--status", "held", "--json")
        assert code == 0 and [r["status"] for r in json.loads(out)] == ["held"]
        assert run("inbox", "list")[1].strip() == "no quarantined messages"

    def test_retry_requeues_quarantined_and_refuses_others(self, app, tmp_path, dispatched):
        (tmp_path / "a.eml").write_bytes(question_email())
        (tmp_path / "b.eml").write_bytes(question_email())
        run("inject", str(tmp_path))
        _quarantine(1, "header section larger than 65536 bytes")
        dispatched.jobs.clear()
        result = CliRunner().invoke(main, ["inbox", "retry", "1", "2"])
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            "1: queued again", "2: not retried, status is received, not quarantined (use --force)"]
        assert dispatched.named("consultant.process_inbound") == [(1,)]
        code, out = run("inbox", "retry", "2", "--force")
        assert (code, out.strip()) == (0, "2: queued again")


class TestHelp:
    @pytest.mark.parametrize("command", [["senders", "list"], ["senders", "show"], ["senders", "set-plan"],
                                         ["orgs", "add"], ["orgs", "add-member"], ["orgs", "list"]])
    def test_every_command_says_what_it_does(self, command):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0
        summary = result.output.split("\n\n")[1].strip()
        assert summary and not summary.startswith("Options:")

    def test_the_evaluation_harness_has_help(self):
        result = subprocess.run([sys.executable, "-m", "consultant.consult.evaluate", "--help"], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and "FILE" in result.stdout

    def test_the_evaluation_harness_names_a_missing_file(self, tmp_path):
        result = subprocess.run([sys.executable, "-m", "consultant.consult.evaluate", str(tmp_path / "none.jsonl")],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "no such file" in result.stderr


class TestOrgs:
    def test_add_member_and_list(self, app):
        assert run("orgs", "add", "Clinic", "--domain", "clinic.example") == (
            0, "organisation 'Clinic' added for clinic.example\n")
        assert run("orgs", "add-member", "Clinic", "sam@freelance.example") == (
            0, "sam@freelance.example is a member of 'Clinic'\n")
        assert run("orgs", "list") == (0, "Clinic: domains clinic.example; 1 named member(s)\n")

    def test_a_clash_is_a_clear_error(self, app):
        run("orgs", "add", "Clinic", "--domain", "clinic.example")
        code, out = run("orgs", "add", "Other", "--domain", "clinic.example")
        assert code == 1 and "already belong to another organisation" in out
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
        token = runner.invoke(main, ["staff", "token", "coder@example.org", "--name", "export"])
        assert token.exit_code == 0 and len(token.output.strip()) >= 40

    def test_accounts_are_listed_disabled_enabled_reset_and_given_roles_as_the_operator(self, app, monkeypatch):
        import getpass

        from sqlalchemy import select

        from consultant.db.models import AuditEntry
        from consultant.staff.accounts import sign_in

        monkeypatch.setattr(getpass, "getuser", lambda: "operator")
        password = "a long password"
        assert run("staff", "add", "admin@example.org", "--role", "admin", "--password", password)[0] == 0
        assert run("staff", "add", "rev@example.org", "--role", "reviewer", "--password", password)[0] == 0
        assert run("staff", "disable", "rev@example.org") == (0, "disabled rev@example.org\n")
        code, out = run("staff", "list")
        assert code == 0 and out.splitlines() == ["admin@example.org                        admin     active",
                                                  "rev@example.org                          reviewer  disabled"]
        assert sign_in(app, "rev@example.org", password).token is None
        assert run("staff", "enable", "rev@example.org")[0] == 0
        assert run("staff", "reset-password", "rev@example.org", "--password", "another long one")[0] == 0
        assert sign_in(app, "rev@example.org", "another long one").token is not None
        assert run("staff", "set-role", "rev@example.org", "admin") == (0, "rev@example.org is now admin\n")
        code, out = run("staff", "list", "--json")
        assert [(r["email"], r["role"], r["active"]) for r in json.loads(out)] == [
            ("admin@example.org", "admin", True), ("rev@example.org", "admin", True)]
        run("staff", "set-role", "admin@example.org", "reviewer")
        code, out = run("staff", "disable", "rev@example.org")
        assert code == 1 and "last active administrator" in out
        code, out = run("staff", "enable", "ghost@example.org")
        assert code == 1 and "no account for ghost@example.org" in out
        with session_scope() as session:
            rows = session.execute(select(AuditEntry.actor, AuditEntry.action)
                                   .where(AuditEntry.action != "signed_in").order_by(AuditEntry.id)).all()
        assert [tuple(r) for r in rows] == [
            ("cli:operator", "staff_added"), ("cli:operator", "staff_added"), ("cli:operator", "staff_disabled"),
            (None, "sign_in_failed"), ("cli:operator", "staff_enabled"), ("cli:operator", "password_reset"),
            ("cli:operator", "role_changed"), ("cli:operator", "role_changed")]

    def test_tokens_are_named_listed_and_revoked(self, app, monkeypatch):
        import getpass

        from sqlalchemy import select

        from consultant.db.models import AuditEntry, StaffSession

        monkeypatch.setattr(getpass, "getuser", lambda: "root")
        run("staff", "add", "rev@example.org", "--role", "reviewer", "--password", "a long password")
        code, token = run("staff", "token", "rev@example.org", "--name", "nightly export", "--days", "7")
        assert code == 0
        code, out = run("staff", "token", "rev@example.org")
        assert code == 2 and "--name" in out
        code, out = run("staff", "token", "rev@example.org", "--name", "x", "--days", "400")
        assert code == 2
        [listed] = json.loads(run("staff", "tokens", "list", "--json")[1])
        assert (listed["owner"], listed["name"], listed["state"], listed["last_used_at"]) == (
            "rev@example.org", "nightly export", "active", None)
        assert token.strip() not in run("staff", "tokens", "list")[1]
        assert run("staff", "tokens", "revoke", str(listed["id"])) == (
            0, f"revoked token {listed['id']} (nightly export) of rev@example.org\n")
        assert json.loads(run("staff", "tokens", "list", "--json")[1]) == []
        [gone] = json.loads(run("staff", "tokens", "list", "--all", "--json")[1])
        assert gone["state"] == "revoked"
        code, out = run("staff", "tokens", "revoke", str(listed["id"]))
        assert code == 1 and "revoked already" in out
        with session_scope() as session:
            actors = session.execute(select(AuditEntry.actor, AuditEntry.action).where(
                AuditEntry.action.like("api_token%")).order_by(AuditEntry.id)).all()
            assert session.scalar(select(StaffSession.ended_at)) is not None
        assert [tuple(a) for a in actors] == [("cli:root", "api_token_created"), ("cli:root", "api_token_revoked")]
