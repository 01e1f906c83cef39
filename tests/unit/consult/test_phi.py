"""What find_phi must hold back from an automatic reply, and what it must leave alone.

The decisions are written down in consultant/consult/screen/phi.py; the labelled set
(tests/fixtures/phi/labelled.jsonl, invented people and numbers only) holds the realistic sentences they are
measured on: {"text": ..., "expected": [[kind, "matched text"], ...], "sender"?: ...}, a span found when a detected span of
the same kind overlaps the text's first occurrence (the nth, when it is listed n times).
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from consultant.consult.screen import phi
from consultant.consult.screen.phi import PhiSpan, find_phi

LABELLED = Path(__file__).parents[2] / "fixtures" / "phi" / "labelled.jsonl"


def _found(text: str, sender: str | None = None) -> list[tuple[str, str]]:
    return [(span.kind, text[span.start : span.end]) for span in find_phi(text, sender)]


def _rule(rule, text: str) -> list[str]:
    return [text[span.start : span.end] for span in rule(text, "")]


class TestPhiSpan:
    def test_as_dict_holds_offsets_only(self):
        assert PhiSpan("name", 8, 18).as_dict() == {"kind": "name", "start": 8, "end": 18}

    def test_frozen(self):
        with pytest.raises(AttributeError):
            PhiSpan("name", 0, 1).start = 2  # type: ignore[misc]


class TestFindPhi:
    def test_spans_in_order_without_the_text(self):
        text = "Patient John Smith, DOB 3/4/55, MRN 00482913."
        spans = find_phi(text)
        assert [s.as_dict()["kind"] for s in spans] == ["name", "date", "mrn"]
        assert all(set(s.as_dict()) == {"kind", "start", "end"} for s in spans)

    def test_overlaps_merge_into_the_more_specific_kind(self):
        # the SSN shape inside an account label: one span, ssn
        assert _found("Account # 123-45-6789 on file") == [("ssn", "123-45-6789")]

    def test_codes_are_never_phi(self):
        text = ("K76.0, 99213-25, S72.001A, 0DTJ4ZZ, J1100-JW, 3074F-8P, 99202-99205, MUE 4, $92.50, 2026, "
                "Q3 2026, FY2026, 97110 x3, NDC 0002-7510-01, L33822, POS 11, DRG 291.")
        assert find_phi(text) == []

    def test_empty(self):
        assert find_phi("") == []

    def test_rules_are_an_ordered_tuple_of_functions(self):
        assert isinstance(phi.RULES, tuple) and all(callable(rule) for rule in phi.RULES)


class TestNames:
    @pytest.mark.parametrize("text, name", [
        ("Patient John Smith was seen", "John Smith"),
        ("Pt. Maria Gonzalez came in", "Maria Gonzalez"),
        ("Pt Robert Q. Hale had", "Robert Q. Hale"),
        ("patient name: Linda Okafor,", "Linda Okafor"),
        ("Name: Derek Fairweather.", "Derek Fairweather"),
        ("Mrs. Abernathy returned", "Abernathy"),
        ("Miss Caroline Dunne was", "Caroline Dunne"),
        ("PATIENT NAME: GRETA LINDQVIST", "GRETA LINDQVIST"),
        ("Patient O'Brien had", "O'Brien"),
    ])
    def test_after_a_cue(self, text, name):
        assert _rule(phi._names, text) == [name]

    @pytest.mark.parametrize("text", [
        "Patient was seen for I10.", "Patient is stable.", "Patient has K21.9.", "Patient presented with R55.",
        "Patient denies pain.", "Patient returns for removal.", "Patient Portal message", "Dr. Weinberg documented",
        "PT evaluation 97162", "the patient had 99213", "Patient with COPD",
        "I work in Patient Financial Services", "Patient Access called", "Patient Business Office",
    ])
    def test_not_without_a_name(self, text):
        assert _rule(phi._names, text) == []

    def test_at_most_three_words(self):
        assert _rule(phi._names, "Patient Ana Lucia Maria Ferreira") == ["Ana Lucia Maria"]


class TestSubjectNames:
    @pytest.mark.parametrize("subject, name", [
        ("Question about Maria Garcia-Lopez", "Maria Garcia-Lopez"),
        ("Re: question regarding Thomas O'Neill", "Thomas O'Neill"),
        ("concerning Ana Lucia Ferreira Santos", "Ana Lucia Ferreira"),
        ("About: Derek Fairweather's claim", "Derek Fairweather"),
    ])
    def test_capitalised_words_after_about(self, subject, name):
        assert _rule(phi._subject_names, subject) == [name]

    @pytest.mark.parametrize("subject", [
        "Question about Critical Care", "Question about Medicare Advantage", "about Blue Cross denials",
        "Question about Knee Arthroscopy", "Question about Dr. Patel", "question about modifier 25",
        "Question about Maria", "Question about K76.0", "Question About Global Period",
    ])
    def test_not_subject_matter_or_one_word(self, subject):
        assert _rule(phi._subject_names, subject) == []

    def test_only_the_subject_rules_read_them(self):
        assert find_phi("Question about Maria Garcia-Lopez") == []
        assert [s.kind for s in find_phi("Question about Maria Garcia-Lopez", rules=phi.SUBJECT_RULES)] == ["name"]


class TestPatientRules:
    def test_a_sign_off_keeps_only_what_names_a_patient(self):
        text = "Jane Coder, CPC\nPatient Financial Services\n(555) 201-3344\njane@other.example\nMRN 00448127"
        assert [(s.kind, text[s.start:s.end]) for s in find_phi(text, rules=phi.PATIENT_RULES)] == [
            ("mrn", "00448127")]


class TestDates:
    @pytest.mark.parametrize("date", ["01/02/1950", "1-2-50", "2026-03-02", "March 2, 2026", "2 Mar 2026",
                                      "11/24/2026", "Jan 14, 1939", "6.12.2026"])
    def test_with_a_day(self, date):
        assert _rule(phi._dates, f"on {date} we billed") == [date]

    def test_short_date_after_a_cue(self):
        assert _rule(phi._dates, "DOB 3/4, DOS March 7") == ["3/4", "March 7"]

    @pytest.mark.parametrize("text", ["in 2026", "March 2026", "Q3 2026", "FY2026", "a ratio 1/2/3", "1-3 units",
                                      "codes effective October 1, 2025", "20610/99213", "version 2.1.3",
                                      "13/45/2026", "renewing on 2026-12-01"])
    def test_not_dates_of_a_person(self, text):
        assert _rule(phi._dates, text) == []


class TestAges:
    @pytest.mark.parametrize("age", ["92-year-old", "age 95", "93 yo", "aged 101", "94 y/o", "97 years old",
                                     "91-yr-old"])
    def test_over_89(self, age):
        assert _rule(phi._ages, f"a {age} woman") == [age]

    @pytest.mark.parametrize("text", ["a 67-year-old", "age 45", "90 units", "the 90-day global", "modifier 95",
                                      "age 65 and older"])
    def test_not_younger_or_other_numbers(self, text):
        assert _rule(phi._ages, text) == []


class TestPhones:
    @pytest.mark.parametrize("number", ["(555) 201-3344", "555-867-5309", "555.201.7788", "+1 555 301 2299"])
    def test_us_formats(self, number):
        assert _found(f"call {number} today") == [("phone", number)]

    def test_fax(self):
        assert _found("Fax: (555) 444-1212, or fax 555-310-2020") == [("fax", "(555) 444-1212"),
                                                                        ("fax", "555-310-2020")]

    def test_short_numbers_need_a_cue(self):
        assert _found("home phone 201-3344") == [("phone", "201-3344")]
        assert _found("NCCI 29881/29880 and 2013344 units") == []


class TestEmails:
    def test_other_addresses(self):
        assert _found("from jane.roe84@examplemail.com") == [("email", "jane.roe84@examplemail.com")]

    def test_not_ours_or_the_senders(self):
        text = "write to ask@consultant.localhost or Coder@Clinic.example"
        assert find_phi(text, sender="Pat Coder <coder@clinic.example>") == []
        assert _found(text) == [("email", "Coder@Clinic.example")]


class TestUrls:
    def test_private_sites(self):
        assert _found("see https://portal.example.com/p/88123.") == [("url", "https://portal.example.com/p/88123")]
        assert _found("see www.blog-example.net/mom") == [("url", "www.blog-example.net/mom")]

    def test_public_reference_sites(self):
        assert find_phi("per https://www.cms.gov/ncci and www.ama-assn.org/cpt") == []


class TestIps:
    @pytest.mark.parametrize("address", ["192.168.14.27", "10.0.0.1", "2001:db8:85a3::8a2e:370:7334", "fe80::1"])
    def test_addresses(self, address):
        assert _found(f"from {address} at noon") == [("ip", address)]

    @pytest.mark.parametrize("text", ["version 1.2.3", "RVU 1.92", "at 10:30:00", "999.1.1.1"])
    def test_not_addresses(self, text):
        assert _rule(phi._ips, text) == []


class TestAddresses:
    @pytest.mark.parametrize("address", ["742 Evergreen Terrace", "1600 Oakridge Ave Apt 4B", "PO Box 4471",
                                         "55 N Maple Dr", "2201 West 78th St", "18 Willow Creek Lane"])
    def test_street_and_box(self, address):
        assert _rule(phi._addresses, f"lives at {address} now") == [address]

    def test_not_without_a_number_and_suffix(self):
        assert _rule(phi._addresses, "our office on Main Street, Suite 400, 99213 visits") == []


class TestZips:
    @pytest.mark.parametrize("text, zip_code", [
        ("Springfield, IL 62704", "62704"), ("NY 10001", "10001"), ("ZIP 10025-1234", "10025-1234"),
        ("zip code 30303", "30303"), ("Texas 75201", "75201")])
    def test_shown_as_a_zip(self, text, zip_code):
        assert _rule(phi._zips, text) == [zip_code]

    @pytest.mark.parametrize("text", ["Is 10021 the FNA code?", "PA 99213 visit", "MA 97110 x2"])
    def test_bare_five_digits_are_codes(self, text):
        assert _rule(phi._zips, text) == []


class TestSsns:
    @pytest.mark.parametrize("text, number", [
        ("900-55-1120", "900-55-1120"), ("SSN 123456789", "123456789"), ("SSN: XXX-XX-4321", "XXX-XX-4321"),
        ("social security number 900 09 9999", "900 09 9999")])
    def test_shapes(self, text, number):
        assert _rule(phi._ssns, text) == [number]

    def test_nine_digits_need_a_cue(self):
        assert _rule(phi._ssns, "NPI 123456789") == []


class TestMrns:
    @pytest.mark.parametrize("text, number", [
        ("MRN 00482913", "00482913"), ("MRN: A7734219", "A7734219"), ("Account # 55-1298734", "55-1298734"),
        ("acct 8812345", "8812345"), ("Member ID XJH882214567", "XJH882214567"), ("Member #: W1122334455",
                                                                                   "W1122334455"),
        ("Policy number 774411223", "774411223"), ("Subscriber ID 900112233-01", "900112233-01"),
        ("Claim # 2026031500123", "2026031500123"), ("ICN 0226075123456", "0226075123456"),
        ("her MBI is 1EG4-TE5-MK73", "1EG4-TE5-MK73"), ("on file 1EG4TE5MK73", "1EG4TE5MK73")])
    def test_record_and_coverage_numbers(self, text, number):
        assert _rule(phi._mrns, text) == [number]

    @pytest.mark.parametrize("text", ["Group number 00456", "per policy L33822", "NPI 1234567893",
                                      "the claim was denied for 97110", "account balance $1,250.00",
                                      "RARC N390"])
    def test_not_other_numbers(self, text):
        assert _rule(phi._mrns, text) == []


class TestLicenses:
    @pytest.mark.parametrize("text, number", [
        ("Driver's license D1234-5678-9012", "D1234-5678-9012"), ("DL# S530-4471-8890", "S530-4471-8890"),
        ("DEA AB1234563", "AB1234563"), ("License number RN-884213", "RN-884213")])
    def test_after_a_cue(self, text, number):
        assert _rule(phi._licenses, text) == [number]

    def test_not_without_a_number(self):
        assert _rule(phi._licenses, "the license expired; DEA rules for J2405") == []


class TestDevices:
    @pytest.mark.parametrize("text, number", [
        ("serial number PJN700112H", "PJN700112H"), ("SN: 4471-AX-2290", "4471-AX-2290"),
        ("Device ID (01)00884521000000", "(01)00884521000000")])
    def test_after_a_cue(self, text, number):
        assert _rule(phi._devices, text) == [number]

    def test_not_device_codes(self):
        assert _rule(phi._devices, "device code C1785 with 33208") == []


def _scores() -> dict:
    counts: dict[str, Counter] = {}
    misses = []
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        text, detected = row["text"], find_phi(row["text"], row.get("sender"))
        expected, seen = [], Counter()
        for kind, shown in row["expected"]:
            start = -1
            for _ in range(seen[(kind, shown)] + 1):
                start = text.index(shown, start + 1)
            seen[(kind, shown)] += 1
            expected.append((kind, start, start + len(shown)))
        for kind, start, end in expected:
            hit = any(s.kind == kind and s.start < end and start < s.end for s in detected)
            counts.setdefault(kind, Counter())["tp" if hit else "fn"] += 1
            if not hit:
                misses.append(("missing", kind, text[start:end], text))
        for span in detected:
            hit = any(kind == span.kind and span.start < end and start < span.end for kind, start, end in expected)
            counts.setdefault(span.kind, Counter())["tp_found" if hit else "fp"] += 1
            if not hit:
                misses.append(("extra", span.kind, text[span.start : span.end], text))

    def score(c: Counter) -> dict:
        found = c["tp_found"] + c["fp"]
        return {"expected": c["tp"] + c["fn"], "recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0,
                "found": found, "precision": c["tp_found"] / found if found else 1.0}

    overall = sum(counts.values(), Counter())
    return {"sentences": len(rows), "overall": score(overall), "kinds": {k: score(c) for k, c in sorted(counts.items())},
            "misses": misses}


class TestLabelledSet:
    def test_precision_and_recall(self):
        scores = _scores()
        print(f"\n{scores['sentences']} sentences")
        for kind, s in [*scores["kinds"].items(), ("overall", scores["overall"])]:
            print(f"{kind:>8}: recall {s['recall']:.3f} of {s['expected']}, precision {s['precision']:.3f} "
                  f"of {s['found']}")
        for miss in scores["misses"]:
            print("  ", *miss)
        assert scores["sentences"] >= 150
        assert scores["overall"]["recall"] >= 0.95
        assert scores["overall"]["precision"] >= 0.90


class TestQuestionSets:
    """Whole emails written by someone else for the answer engine (tests/fixtures/questions/): those
    whose note mentions PHI must be flagged, the others must not. Not used to tune the detector."""

    @pytest.mark.parametrize("name", ["labelled", "holdout"])
    def test_emails_with_patient_identifiers_are_flagged_and_no_others(self, name):
        path = Path(__file__).parents[2] / "fixtures" / "questions" / f"{name}.jsonl"
        entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        labelled = {e["id"] for e in entries if "PHI" in e["note"]}
        flagged = {e["id"] for e in entries
                   if find_phi(e["subject"], "coder@clinic.example") or find_phi(e["text"], "coder@clinic.example")}
        assert labelled, "the set has emails with patient identifiers"
        assert flagged - labelled == set(), "flagged without a patient identifier"
        assert labelled - flagged == set(), "patient identifiers missed"
