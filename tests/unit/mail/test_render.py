from pathlib import Path

import pytest
from jinja2 import UndefinedError

from consultant.codes.lookup import CodeFact
from consultant.consult import emails
from consultant.consult.drafts.prepare import PreparedDraft
from consultant.consult.drafts.sections import section_for
from consultant.consult.enrich import Enrichment
from consultant.consult.routing.router import REVIEW, Decision
from consultant.consult.understand.questions import understand
from consultant.mail.render import render_email
from consultant.shipped import shipped

TEMPLATES = shipped("templates")


def _acknowledgement(**overrides) -> dict:
    """The context the acknowledgement template reads, built by consultant.consult itself."""
    fact = CodeFact("icd10cm", "K76.0", "billable", "Fatty (change of) liver, NEC", "test", "ICD-10-CM 2026")
    enrichment = Enrichment([fact], keys=[("icd10cm", "K76.0")])
    question = understand("Is K76.0 billable?")[0]
    section = section_for(enrichment, question, REVIEW, ["held for the test"], numbered=False)
    draft = PreparedDraft(Decision(REVIEW, ("held for the test",)), [section], "", ["ICD-10-CM 2026"], [])
    context = emails.acknowledgement("CC-42", "Re: Is K76.0 billable? [CC-42]", draft, "Coding Consultant", 24)
    context.update(overrides)
    return context


class TestRenderEmail:
    def test_renders_subject_text_and_html(self):
        rendered = render_email(TEMPLATES, "acknowledgement", _acknowledgement())
        assert rendered.subject == "Re: Is K76.0 billable? [CC-42]"
        assert "reference CC-42" in rendered.text
        assert "K76.0 (ICD-10-CM): Fatty (change of) liver, NEC" in rendered.text
        assert "<strong>K76.0</strong>" in rendered.html

    def test_context_values_are_escaped_in_html_and_verbatim_in_text(self):
        rendered = render_email(TEMPLATES, "acknowledgement", _acknowledgement(reference="<script>alert(1)</script>"))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
        assert "<script>" not in rendered.html
        assert "reference <script>alert(1)</script>" in rendered.text

    def test_values_in_included_partials_are_escaped_too(self):
        context = _acknowledgement()
        context["sections"][0]["codes"][0]["descriptor"] = "<img src=x onerror=alert(1)>"
        rendered = render_email(TEMPLATES, "acknowledgement", context)
        assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
        assert "<img" not in rendered.html
        assert "K76.0 (ICD-10-CM): <img src=x onerror=alert(1)>" in rendered.text

    def test_subject_is_a_single_line(self):
        rendered = render_email(TEMPLATES, "acknowledgement", _acknowledgement(subject="Re: one\r\nBcc: victim@x\n"))
        assert rendered.subject == "Re: one Bcc: victim@x"

    def test_subject_is_not_html_escaped(self):
        rendered = render_email(TEMPLATES, "acknowledgement", _acknowledgement(subject="Q & A <K76.0>"))
        assert rendered.subject == "Q & A <K76.0>"

    def test_missing_context_value_raises(self):
        context = _acknowledgement()
        del context["reference"]
        with pytest.raises(UndefinedError):
            render_email(TEMPLATES, "acknowledgement", context)

    def test_html_is_optional(self, tmp_path: Path):
        folder = tmp_path / "email" / "note"
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("Note {{ n }}\n")
        (folder / "body.txt").write_text("Body {{ n }}\n")
        rendered = render_email(tmp_path, "note", {"n": "<1>"})
        assert (rendered.subject, rendered.text, rendered.html) == ("Note <1>", "Body <1>\n", None)


class TestNotCoding:
    @pytest.mark.parametrize("emergency", [False, True])
    def test_says_what_the_service_is_in_both_forms_and_the_emergency_line_only_when_asked(self, emergency):
        context = emails.not_coding("CC-7", "Your coding question [CC-7]", "Coding <Consultant>", emergency,
                                    "Consultations left on your plan (guest): 1 of 1.")
        rendered = render_email(TEMPLATES, "not_coding", context)
        assert rendered.subject == "Your coding question [CC-7]"
        for body in (" ".join(rendered.text.split()), " ".join(rendered.html.split())):
            assert "consultation service for professional medical coders" in body
            assert "reference CC-7" in body and "Consultations left on your plan (guest): 1 of 1." in body
            assert ("911 in the US" in body) is emergency
        assert "Coding &lt;Consultant&gt;" in rendered.html
