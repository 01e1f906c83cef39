import pytest

from consultant.mail.imap_url import ImapUrlError, parse_imap_url


class TestParseImapUrl:
    def test_imaps_defaults(self):
        account = parse_imap_url("imaps://ask%40clinic.example:s%3Acret@mail.example.com/INBOX")
        assert (account.host, account.port, account.security) == ("mail.example.com", 993, "tls")
        assert (account.username, account.password, account.mailbox) == ("ask@clinic.example", "s:cret", "INBOX")
        assert (account.after, account.processed_folder, account.rejected_folder) == ("auto", "Processed", "Rejected")
        assert (account.idle_seconds, account.poll_seconds, account.timeout) == (600.0, 60.0, 30.0)

    def test_imap_without_options_is_still_tls(self):
        account = parse_imap_url("imap://user:pass@host:993/INBOX")
        assert (account.security, account.port) == ("tls", 993)

    def test_starttls_and_plain_only_when_asked(self):
        assert parse_imap_url("imap://u:p@h/INBOX?starttls=1").security == "starttls"
        assert parse_imap_url("imap://u:p@h/INBOX?tls=starttls").port == 143
        plain = parse_imap_url("imap://u:p@h:1143?tls=none")
        assert (plain.security, plain.port, plain.mailbox) == ("none", 1143, "INBOX")

    def test_options(self):
        account = parse_imap_url(
            "imaps://u:p@h/Consult?processed=Done&rejected=Bad&after=flag&keyword=$Seen2&poll=5&idle=900&timeout=3&ca=/c.pem")
        assert (account.mailbox, account.processed_folder, account.rejected_folder) == ("Consult", "Done", "Bad")
        assert (account.after, account.keyword, account.ca_file) == ("flag", "$Seen2", "/c.pem")
        assert (account.poll_seconds, account.idle_seconds, account.timeout) == (5.0, 600.0, 3.0)

    def test_repr_and_key_never_show_the_password(self):
        account = parse_imap_url("imaps://u:hunter2@h/INBOX")
        assert "hunter2" not in repr(account) and "hunter2" not in account.key

    @pytest.mark.parametrize("url, says", [
        ("pop3://u:p@h/", "imaps://"),
        ("imaps://h/INBOX", "USER:PASSWORD"),
        ("imaps://u:p@h/INBOX?tls=none", "imaps:// is TLS"),
        ("imap://u:p@h/INBOX?tls=maybe", "tls='maybe'"),
        ("imap://u:p@h/INBOX?after=burn", "after='burn'"),
        ("imap://u:p@h/INBOX?poll=soon", "poll='soon'"),
        ("imap://u:p@h/INBOX?poll=0", "at least"),
        ("imap://u:p@h/INBOX?folder=x", "unknown"),
        ("imap://u:p@h:99999/INBOX", "bad port"),
    ])
    def test_mistakes_are_named(self, url, says):
        with pytest.raises(ImapUrlError, match=None) as error:
            parse_imap_url(url)
        assert says in str(error.value)
        assert ":p@" not in str(error.value)
