from consultant.usage.authenticity import FAIL, NONE, PASS, check_sender, dmarc_result
from tests.builders import question_email

OURS = {"mx.consultant.localhost"}


def mail(*results: str) -> bytes:
    raw = question_email()
    added = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results)
    return added + raw


class TestDmarcResult:
    def test_our_border_mta_pass_and_fail_are_read(self):
        assert dmarc_result(mail("mx.consultant.localhost; dmarc=pass header.from=example.org"), "example.org",
                            OURS) == PASS
        assert dmarc_result(mail("mx.consultant.localhost; spf=pass; dmarc=fail (p=reject) header.from=example.org"),
                            "example.org", OURS) == FAIL

    def test_a_header_from_another_authserv_id_is_ignored(self):
        raw = mail("mx.attacker.example; dmarc=pass header.from=example.org")
        assert dmarc_result(raw, "example.org", OURS) == NONE

    def test_only_the_topmost_trusted_header_counts(self):
        raw = mail("mx.consultant.localhost; dmarc=fail header.from=example.org",
                   "mx.consultant.localhost; dmarc=pass header.from=example.org")
        assert dmarc_result(raw, "example.org", OURS) == FAIL

    def test_a_result_about_another_from_domain_is_not_this_ones(self):
        raw = mail("mx.consultant.localhost; dmarc=pass header.from=elsewhere.example")
        assert dmarc_result(raw, "example.org", OURS) == NONE

    def test_no_header_is_none(self):
        assert dmarc_result(question_email(), "example.org", OURS) == NONE


class TestCheckSender:
    def test_fail_is_a_problem_whatever_the_policy(self):
        raw = mail("mx.consultant.localhost; dmarc=fail header.from=example.org")
        result = check_sender(raw, "coder@example.org", ["MX.consultant.localhost"], require_pass=False)
        assert not result.trusted and "fails DMARC" in result.problem

    def test_without_a_trusted_pass_only_a_requiring_policy_objects(self):
        raw = mail("mx.attacker.example; dmarc=pass header.from=example.org")
        assert check_sender(raw, "coder@example.org", list(OURS), require_pass=False).trusted
        assert not check_sender(raw, "coder@example.org", list(OURS), require_pass=True).trusted
        passed = mail("mx.consultant.localhost; dmarc=pass header.from=example.org")
        assert check_sender(passed, "coder@example.org", list(OURS), require_pass=True).trusted
