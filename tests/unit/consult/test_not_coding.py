"""Handling mail that is not a coding question; the whole path is in test_pipeline.TestNotACodingQuestion."""

from consultant.consult.not_coding import record_spam
from consultant.consult.screen.topic import SPAM, Topic


class TestRecordSpam:
    def test_the_reason_says_what_was_done_and_nothing_is_sent(self):
        handled = record_spam(Topic(SPAM, ("gibberish (3 of 3 words unreadable, 0 known)",)))
        assert handled.reason == ("spam: gibberish (3 of 3 words unreadable, 0 known); recorded, not answered, "
                                  "not charged")
        assert handled.reply is None
