"""A real Dovecot IMAP server for tests: own config in a private directory, a free loopback port, one
passwd-file user, maildir storage. Plain text by default; `tls=True` serves implicit TLS, `starttls=True`
STARTTLS (required before login), both with a self-signed certificate made at start. `capabilities` overrides what the server advertises
(e.g. drop MOVE or IDLE).

Dovecot refuses to give mail to root, so when the tests run as root the mail processes run as the
``dovecot`` system user and the files live under the system temp dir (pytest's are root-only)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path

from imapclient import IMAPClient

from tests.support.servers import HOST, _ContextManager, _log_tail, _spawn, _terminate, free_port, wait_until

USER, PASSWORD = "consult", "not-a-real-secret"
DEFAULT_CAPABILITIES = ("IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT NAMESPACE UNSELECT "
                        "CHILDREN UIDPLUS ESEARCH SEARCHRES LIST-EXTENDED MOVE")


class DovecotServer(_ContextManager):
    def __init__(self, tls: bool = False, starttls: bool = False, without: tuple[str, ...] = ()) -> None:
        self.tls = tls
        self.starttls = starttls
        self.without = without
        self._mail_user = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        self.directory = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        self.port = free_port()
        self.log_path = self.directory / "dovecot.log"
        self.config_path = self.directory / "dovecot.conf"
        self.cert_path = self.directory / "cert.pem"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def capabilities(self) -> str:
        return " ".join(c for c in DEFAULT_CAPABILITIES.split() if c not in self.without)

    def url(self, mailbox: str = "INBOX", **options: str) -> str:
        scheme, security = ("imaps", {"ca": str(self.cert_path)}) if self.tls else ("imap", {"tls": "none"})
        if self.starttls:
            security = {"tls": "starttls", "ca": str(self.cert_path)}
        query = "&".join(f"{k}={v}" for k, v in {**security, **options}.items())
        return f"{scheme}://{USER}:{PASSWORD}@{HOST}:{self.port}/{mailbox}?{query}"

    # -- lifecycle

    def start(self) -> None:
        if self._proc is None:
            if not self.config_path.exists():
                self._prepare()
            self._proc = _spawn(["/usr/sbin/dovecot", "-F", "-c", str(self.config_path)], self.directory / "stdout.log",
                                cwd=self.directory)
        wait_until(self._accepts, timeout=30, message=lambda: f"dovecot not ready:\n{_log_tail(self.log_path)}")

    def stop(self) -> None:
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)
            self._proc = None
            wait_until(lambda: not self._port_open(), timeout=15, message="dovecot still listening after stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def kick(self) -> None:
        """Cut every open IMAP session of the user (the server side of a dropped connection)."""
        subprocess.run(["doveadm", "-c", str(self.config_path), "kick", USER], check=True, capture_output=True)

    def _accepts(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"dovecot exited {self._proc.returncode}:\n{_log_tail(self.log_path)}\n"
                               f"{_log_tail(self.directory / 'stdout.log')}")
        if not self._port_open():
            return False
        with self.client():
            return True

    def _port_open(self) -> bool:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex((HOST, self.port)) == 0

    def _prepare(self) -> None:
        user = self._mail_user
        for sub in ("run", "mail", "home"):
            (self.directory / sub).mkdir()
        for sub in ("mail", "home"):
            os.chown(self.directory / sub, user.pw_uid, user.pw_gid)
        os.chmod(self.directory, 0o755)
        (self.directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        if self.tls or self.starttls:
            self._make_certificate()
        self.config_path.write_text(self._config())

    def _make_certificate(self) -> None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", f"subjectAltName=IP:{HOST},DNS:localhost",
             "-keyout", str(self.directory / "key.pem"), "-out", str(self.cert_path)],
            check=True, capture_output=True)

    def _config(self) -> str:
        user, d = self._mail_user, self.directory
        ssl_settings = "ssl = no\n"
        if self.tls or self.starttls:
            ssl_settings = f"ssl = required\nssl_cert = <{self.cert_path}\nssl_key = <{d / 'key.pem'}\n"
        listener = "inet_listener imaps" if self.tls else "inet_listener imap"
        tls_flag = "    ssl = yes\n" if self.tls else ""
        return f"""\
base_dir = {d / 'run'}
state_dir = {d / 'run'}
log_path = {d / 'dovecot.log'}
protocols = imap
listen = {HOST}
{ssl_settings}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user.pw_name}
default_internal_group = {grp.getgrgid(user.pw_gid).gr_name}
default_login_user = {user.pw_name}
first_valid_uid = {user.pw_uid}
first_valid_gid = {user.pw_gid}
# Dovecot's own re-check under IDLE (default 30 s) for a change that lands as IDLE starts
mailbox_idle_check_interval = 1 secs
mail_location = maildir:{d / 'mail'}/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d / 'users'}
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={d / 'home'}/%u
}}
service imap-login {{
  {listener} {{
    address = {HOST}
    port = {self.port}
{tls_flag}  }}
}}
protocol imap {{
  imap_capability = {self.capabilities}
  imap_idle_notify_interval = 2 mins
}}
"""

    # -- what a mail client (the test) does

    def client(self) -> IMAPClient:
        context = ssl.create_default_context(cafile=str(self.cert_path)) if self.tls or self.starttls else None
        client = IMAPClient(HOST, self.port, ssl=self.tls, ssl_context=context, timeout=10)
        if self.starttls:
            client.starttls(context)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        with self.client() as client:
            if not client.folder_exists(mailbox):
                client.create_folder(mailbox)
            client.append(mailbox, raw)

    def uids(self, mailbox: str = "INBOX") -> list[int]:
        with self.client() as client:
            if not client.folder_exists(mailbox):
                return []
            client.select_folder(mailbox, readonly=True)
            return sorted(client.search("ALL"))

    def flags(self, mailbox: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as client:
            client.select_folder(mailbox, readonly=True)
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()}

    def recreate(self, mailbox: str) -> None:
        with self.client() as client:
            client.delete_folder(mailbox)
            client.create_folder(mailbox)
