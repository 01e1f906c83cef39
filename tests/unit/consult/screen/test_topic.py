"""Is it a coding question? Realistic mail (written for these tests, invented people), one class per kind,
and the rules on their own."""

import pytest

from consultant.codes.mentions import find_mentions
from consultant.consult.pipeline import topic_of
from consultant.consult.screen import topic
from consultant.consult.screen.topic import CODING, EMERGENCY, NOT_CODING, SPAM, Mail, Topic, classify
from consultant.mail.mime import ParseLimits
from consultant.mail.parse import parse_email
from tests.support.corpus import corpus_folder


def mail(text: str, subject: str = "Question", **options) -> Mail:
    return Mail(subject, text, has_codes=bool(find_mentions(f"{subject}\n{text}")), **options)


def kind(text: str, subject: str = "Question", **options) -> str:
    return classify(mail(text, subject, **options)).kind


class TestCodingQuestions:
    @pytest.mark.parametrize("text", [
        "how do I code a screening colonoscopy that turned diagnostic?",
        "which dx goes first for sepsis due to pneumonia",
        "Can we bill the nurse visit and the injection on the same day?",
        "E/M level for a 40 minute telehealth visit?",
        "Is the global period for a TKA 90 days?",
        "Does Medicare cover a screening mammogram every year?",
        "Provider documented acute on chronic systolic CHF, what do I pick?",
        "is the 25 needed here",
        "lap chole w/ IOC, separate?",
        "What is K76.0?",
        "Pt presented with chest pain radiating to the left arm and numbness. Can I use R07.9 with R20.0?",
        "My patient overdosed on fentanyl, is T40.411A right?",
        "Is a seizure with a history of stroke coded with Z86.73?",
        "What is the code for a patient who is suicidal?",
        "¿Cuál es el código para la diabetes tipo 2 con neuropatía?",
        "Hi, how do I add a second coder to our account? She should be able to send questions too.",
        "I never got an answer to my last question",
    ])
    def test_coders_questions_with_or_without_a_code(self, text):
        assert kind(text) == CODING

    def test_a_reply_in_a_consultation_is_part_of_it(self):
        assert kind("Thanks so much, that cleared it up!", "Re: Your coding question [CC-000001]",
                    follow_up=True) == CODING

    def test_an_attachment_is_for_a_person_to_read(self):
        assert kind("see attached", "op note", attachments=("op-note.pdf",)) == CODING

    def test_what_cannot_be_told_apart_goes_the_coding_way(self):
        assert classify(mail("lap chole w/ IOC, separate?", "q")).reasons == (topic.UNDECIDED,)


class TestEmergencies:
    @pytest.mark.parametrize("text", [
        "Hi, I have chest pain and my left arm is numb. Is this serious? What should I do?",
        "I've had chest pressure for an hour and a numb arm, should I wait until morning?",
        "My husband collapsed and he isn't breathing",
        "I think I'm having a heart attack",
        "I'm having a hard time breathing and my chest is tight",
        "I want to kill myself",
        "my mom's face is drooping and her speech is slurred",
        "My son swallowed bleach, what do I do",
        "I have chest pain right now, what ICD code would the ER use?",
    ])
    def test_someone_describing_an_emergency(self, text):
        assert kind(text, "help") == EMERGENCY

    def test_the_reason_names_the_signs_not_the_text(self):
        found = classify(mail("I have chest pain and my left arm is numb", "help"))
        assert found.reasons == ("describes a possible medical emergency (chest pain, numbness)",)


class TestNotCoding:
    @pytest.mark.parametrize("text, subject, reason", [
        ("What's the weather going to be like in Denver this weekend?", "Quick question",
         "about something else (weather)"),
        ("Will it rain tomorrow in Chicago? And how cold will it get?", "hi", "about something else (weather)"),
        ("What's the best recipe for banana bread?", "baking", "about something else (food)"),
        ("Hello?", "hello", "a greeting or test with nothing asked"),
        ("test", "test", "a greeting or test with nothing asked"),
        ("I've had a cough for two weeks, should I see a doctor?", "cough",
         "a health question about the sender, not a coding question"),
        ("Can I take ibuprofen with my blood pressure medicine?", "meds",
         "a health question about the sender, not a coding question"),
        ("Please unsubscribe me from these emails.", "unsubscribe", "no coding or medical word in it"),
        ("can you help me", "hi", "no coding or medical word in it"),
    ])
    def test_mail_that_is_not_a_coding_question(self, text, subject, reason):
        found = classify(mail(text, subject))
        assert found.kind == NOT_CODING and reason in found.reasons


class TestSpam:
    @pytest.mark.parametrize("text, subject, reason", [
        ("Dear friend, you have won $1,000,000 in the international lottery. Send your bank details to claim "
         "your prize.", "You have WON", "an offer of money or goods (prize, transfer)"),
        ("Outsource your medical billing! Our certified coders cut denials by 30%. Book a demo today. Click here "
         "to unsubscribe.", "Grow your practice",
         "advertising (4 marketing cues: unsubscribe, click here, book a demo, growth pitch)"),
        ("Cheap Viagra, online pharmacy, no prescription", "meds", "an offer of money or goods (pharmacy)"),
        ("Hello Dear, I am a woman seeking for a serious relationship. I will send you pictures of me.", "its me",
         "a personal solicitation (romance)"),
        ("sdkjfh wieuryt xmcnvb qwrtpl zxcvbn", "asdf", "gibberish (5 of 6 words unreadable, 0 known)"),
        ("asdfghjk zxcvbnm", "", "gibberish (2 of 2 words unreadable, 0 known)"),
        ("!!!!!! ????", "", "no words, only signs and numbers"),
        ("", "", "nothing written: no subject, no text, no attachment"),
    ])
    def test_recorded_with_the_reason(self, text, subject, reason):
        assert classify(mail(text, subject)) == Topic(SPAM, (reason,))

    def test_another_script_is_never_gibberish(self):
        assert kind("Превел, вопрос", "") != SPAM and kind("にゃーーーーー", "にゃんこ") != SPAM
        assert kind("rcpt mime", "") != SPAM  # one odd word in two is not enough

    def test_the_spam_in_the_shared_corpus_is_spam(self):
        for path in sorted(corpus_folder("flanker").glob("spam/*.eml")):
            parsed = parse_email(path.read_bytes(), "someone@example.org", ParseLimits())
            assert topic_of(parsed, follow_up=False).kind == SPAM, path.name

    def test_one_marketing_cue_in_a_coding_question_is_no_spam(self):
        assert kind("Can we give self-pay patients a discount on 99213?") == CODING

    def test_beside_a_code_it_takes_three_marketing_cues(self):
        text = "Free trial of our coding tool with a 20% off coupon: is 99213 billable?"
        assert classify(mail(text)).kind == SPAM
        assert kind("Is 99213 billable, and is there a free trial or a discount?") == CODING


class TestRules:
    def test_rules_are_named_functions_in_declared_tuples(self):
        for rules in (topic.SPAM_RULES, topic.EMERGENCY_RULES, topic.CODING_RULES, topic.NOT_CODING_RULES):
            assert isinstance(rules, tuple) and all(callable(rule) and rule.__name__ != "<lambda>" for rule in rules)

    def test_classify_records_which_rules_ran(self):
        found = classify(mail("What is K76.0?"))
        assert found.ran[:5] == ("advertising", "money_offer", "personal_solicitation", "gibberish",
                                 "medical_emergency")
        assert "code_mentioned" in found.ran and "greeting_only" not in found.ran

    def test_the_summary_names_the_kind_and_the_reasons(self):
        assert Topic(NOT_CODING, ("a", "b")).summary() == "not a coding question: a; b"
        assert Topic(EMERGENCY, ("x",)).summary() == "a possible medical emergency: x"

    def test_emergency_needs_a_person_unless_coding_words_frame_it(self):
        assert topic.medical_emergency(mail("chest pain and shortness of breath", "")) is None
        assert topic.medical_emergency(mail("my dad has chest pain", "")) is not None
        assert topic.medical_emergency(mail("code for chest pain in my patient?", "")) is None

    def test_a_number_keeps_a_wordless_message_out_of_not_coding(self):
        assert topic.no_coding_or_medical_words(mail("when does the 25 go on", "")) is None
        assert topic.no_coding_or_medical_words(mail("when does it go on", "")) is not None

    def test_greeting_only_is_short(self):
        assert topic.greeting_only(mail("hello", "")) is not None
        assert topic.greeting_only(mail("hello, is the office open on Monday?", "")) is None

    def test_gibberish_skips_codes_and_attachments(self):
        assert topic.gibberish(mail("xkcd qwrtz K76.0", "")) is None
        assert topic.gibberish(mail("xkcdqw", "", attachments=("scan.pdf",))) is None
