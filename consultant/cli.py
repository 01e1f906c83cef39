"""The `consultant` command."""

from __future__ import annotations

import getpass
import json
import os
import smtplib
import sys
import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import click

from consultant.db.models import InboundStatus
from consultant.db.session import session_scope
from consultant.logging_setup import configure_logging
from consultant.settings import get_settings


def database_ready(codes: bool = False) -> None:
    """The embedded database prepares itself on first use (schema, then the ICD-10-CM catalog when `codes`);
    a server database that is not prepared stops the command with the one to run."""
    from consultant.bootstrap import NotReady, ensure_ready

    try:
        ensure_ready(get_settings(), codes=codes, progress=progress_lines())
    except NotReady as exc:
        raise click.ClickException(str(exc)) from None


def progress_lines():
    """Stage lines with the time elapsed, on stderr, so that a long first load is not a silent wait."""
    started = time.monotonic()

    def say(stage: str) -> None:
        click.echo(f"consultant: [{time.monotonic() - started:5.1f}s] {stage}", err=True)

    return say


@click.group()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO or CONSULTANT_LOG_LEVEL).")
def main(log_level: str | None) -> None:
    """An email-driven consultation service for professional medical coders."""
    configure_logging(log_level)


@main.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default CONSULTANT_WORKERS, 2).")
def run(workers: int | None) -> None:
    """Run everything on one machine: receiver, workers and sweeper, on the configured database."""
    from consultant.bootstrap import prepare
    from consultant.consult.routing.policy import PolicyError
    from consultant.supervisor import AddressInUse, Child, Supervisor, imap_argv, receiver_argv, web_argv, worker_argv
    from consultant.usage.plans import PlansError

    settings = get_settings()
    account = imap_account() if settings.imap_url else None
    host, port = settings.smtp_host_port
    web_host, web_port = settings.web_host_port
    children = [
        Child("SMTP receiver", receiver_argv(), listens=(host, port)),
        Child("worker", worker_argv(workers or settings.workers, beat=True, quiet=True)),
        Child("web app", web_argv(), listens=(web_host, web_port)),
    ]
    if account is not None:
        children.append(Child("imap", imap_argv()))
    supervisor = Supervisor(children, {**os.environ, "CONSULTANT_DATA_DIR": str(settings.resolved_data_dir)})
    try:
        supervisor.check_addresses()  # before the catalog load: a second `consultant run` fails at once
        prepare(settings, progress=progress_lines())
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from None
    except PolicyError as exc:
        raise click.ClickException(f"routing policy: {exc}") from exc
    except PlansError as exc:
        raise click.ClickException(f"plans: {exc}") from exc
    where = settings.relay or f"maildir {settings.maildir}"
    click.echo(f"consultant: mail to {settings.address} at smtp://{host}:{port}; replies go to {where}")
    click.echo(f"consultant: staff web app at {settings.web_url}/ (add accounts with `consultant staff add`)")
    if account is not None:
        click.echo(f"consultant: also fetching mail from {account!r}")
    click.echo(f"consultant: data in {settings.resolved_data_dir}; Ctrl-C stops")
    if os.geteuid() == 0:
        click.echo("consultant: running as root, which is fine for a try-out; in production give it a user of its own")
    try:
        sys.exit(supervisor.run())
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
def smtpd() -> None:
    """Run the SMTP receiver alone (production: one process beside the workers)."""
    import signal
    import threading

    from consultant.bootstrap import prepare
    from consultant.mail.smtp_server import make_controller

    settings = get_settings()
    host, port = settings.smtp_host_port
    free_to_listen("SMTP receiver", host, port)
    prepare(settings, load_codes=False)
    controller = make_controller(settings)
    controller.start()
    click.echo(f"consultant smtpd: listening on {host}:{port} for {', '.join(sorted(settings.accepted_addresses))}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


def free_to_listen(name: str, host: str, port: int) -> None:
    from consultant.supervisor import AddressInUse, ensure_free

    try:
        ensure_free(name, host, port)
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from None


def imap_account():
    from consultant.mail.imap_url import ImapUrlError, parse_imap_url

    url = get_settings().imap_url
    if not url:
        raise click.ClickException("set CONSULTANT_IMAP_URL, e.g. imaps://user:password@mail.example.com/INBOX")
    try:
        return parse_imap_url(url)
    except ImapUrlError as exc:
        raise click.ClickException(str(exc))


@main.command()
def imap() -> None:
    """Fetch mail from the mailbox named by CONSULTANT_IMAP_URL: store each message, then move or flag it."""
    import signal

    from consultant.bootstrap import prepare
    from consultant.mail.imap_poller import ImapPoller

    settings = get_settings()
    account = imap_account()
    prepare(settings, load_codes=False)
    poller = ImapPoller(account, settings.address, settings.max_message_bytes)
    signal.signal(signal.SIGTERM, lambda *_: poller.stop())
    signal.signal(signal.SIGINT, lambda *_: poller.stop())
    click.echo(f"consultant imap: fetching from {account!r}, after storing: {account.after}")
    poller.run()


@main.command()
def web() -> None:
    """Run the staff web app alone (production: one process beside the receiver and workers)."""
    import uvicorn

    from consultant.bootstrap import prepare
    from consultant.web.app import create_app

    settings = get_settings()
    host, port = settings.web_host_port
    free_to_listen("web app", host, port)
    prepare(settings, load_codes=False)
    click.echo(f"consultant web: listening on http://{host}:{port}/")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)


@main.group()
def staff() -> None:
    """Staff accounts for the web app, and their API tokens."""


def cli_actor() -> str:
    """Who ran the command, for the audit log: the operating-system user, e.g. cli:root."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry for the uid
        user = f"uid{os.getuid()}"
    return f"cli:{user}"


def account_change(change) -> None:
    """Run `change(session, actor)` on a prepared database; an AccountError becomes the command's error."""
    from consultant.staff.accounts import AccountError

    database_ready()
    try:
        with session_scope() as session:
            message = change(session, cli_actor())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(message)


@staff.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["reviewer", "admin"]), required=True)
@click.password_option(help="Asked for (twice) when not given.")
def staff_add(email: str, role: str, password: str) -> None:
    """Create a staff account; the password is stored as an argon2id hash."""
    from consultant.staff.accounts import add_staff

    def add(session, actor: str) -> str:
        user = add_staff(session, email, password, role, actor=actor)
        return f"added {user.email} ({user.role})"

    account_change(add)


@staff.command("list")
@click.option("--json", "as_json", is_flag=True)
def staff_list_command(as_json: bool) -> None:
    """Every staff account: address, role, active or disabled."""
    from consultant.staff.accounts import staff_list

    database_ready()
    with session_scope() as session:
        rows = [{"email": u.email, "role": u.role, "active": u.active, "created_at": u.created_at.isoformat()}
                for u in staff_list(session)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['email']:<40} {row['role']:<9} {'active' if row['active'] else 'disabled'}")


@staff.command("disable")
@click.argument("email")
def staff_disable(email: str) -> None:
    """Disable an account: its sessions and API tokens end at once."""
    from consultant.staff.accounts import set_active

    account_change(lambda session, actor: f"disabled {set_active(session, actor, email, False).email}")


@staff.command("enable")
@click.argument("email")
def staff_enable(email: str) -> None:
    """Enable a disabled account again (it signs in anew; ended tokens stay ended)."""
    from consultant.staff.accounts import set_active

    account_change(lambda session, actor: f"enabled {set_active(session, actor, email, True).email}")


@staff.command("reset-password")
@click.argument("email")
@click.password_option(help="Asked for (twice) when not given.")
def staff_reset_password(email: str, password: str) -> None:
    """Set a new password; the account's browser sessions end."""
    from consultant.staff.accounts import reset_password

    def reset(session, actor: str) -> str:
        return f"new password set for {reset_password(session, actor, email, password).email}"

    account_change(reset)


@staff.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["reviewer", "admin"]))
def staff_set_role(email: str, role: str) -> None:
    """Make an account a reviewer or an administrator."""
    from consultant.staff.accounts import set_role

    def change(session, actor: str) -> str:
        user = set_role(session, actor, email, role)
        return f"{user.email} is now {user.role}"

    account_change(change)


@staff.command("token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly export'.")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True, help="Days until it expires.")
def staff_token(email: str, name: str, days: int) -> None:
    """Print a new API token for scripts (send it as `Authorization: Bearer TOKEN`); it is shown only once."""
    from consultant.staff.tokens import create_token

    account_change(lambda session, actor: create_token(session, actor, email, name, days))


@staff.group("tokens")
def staff_tokens() -> None:
    """List and revoke API tokens."""


@staff_tokens.command("list")
@click.option("--email", default=None, help="Only this account's tokens.")
@click.option("--all", "include_ended", is_flag=True, help="Revoked tokens too.")
@click.option("--json", "as_json", is_flag=True)
def staff_tokens_list(email: str | None, include_ended: bool, as_json: bool) -> None:
    """API tokens: id, owner, name, state, expiry and last use (never the token itself)."""
    from consultant.db.base import utcnow
    from consultant.staff.accounts import AccountError
    from consultant.staff.tokens import list_tokens

    database_ready()
    now = utcnow()
    try:
        with session_scope() as session:
            rows = [t.as_dict(now) for t in list_tokens(session, email, include_ended)]
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']:>5} {row['owner']:<32} {row['name']:<24} {row['state']:<8} "
                   f"expires {(row['expires_at'] or '-')[:10]}  last used {(row['last_used_at'] or 'never')[:16]}")


@staff_tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(1))
def staff_tokens_revoke(token_id: int) -> None:
    """Revoke an API token by its id (from `consultant staff tokens list`); it is refused from now on."""
    from consultant.staff.tokens import revoke_token

    def revoke(session, actor: str) -> str:
        token = revoke_token(session, actor, token_id)
        return f"revoked token {token.id} ({token.name}) of {token.owner}"

    account_change(revoke)


@main.command()
@click.option("--from", "from_address", required=True, help="Your email address.")
@click.option("--subject", default="Coding question")
@click.option("--timeout", type=float, default=30.0, help="Seconds to wait for the reply.")
@click.argument("question")
def ask(from_address: str, subject: str, timeout: float, question: str) -> None:
    """Email QUESTION to the running service and print the reply when it arrives."""
    from consultant.mail.replies_view import wait_for_reply

    settings = get_settings()
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = from_address
    message["To"] = settings.address
    message["Subject"] = subject
    message["Message-ID"] = message_id = make_msgid(domain=from_address.rpartition("@")[2] or "localhost")
    message.set_content(question)
    host, port = settings.smtp_host_port
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise click.ClickException(f"could not send to smtp://{host}:{port} ({exc}); is `consultant run` running?")
    click.echo(f"sent {message_id}; waiting for the reply…", err=True)
    reply = wait_for_reply(message_id, timeout)
    if reply is None:
        raise click.ClickException(f"no reply within {timeout:.0f}s (the service may still answer: see its log)")
    click.echo(reply)


@main.command()
@click.option("--month", default=None, metavar="YYYY-MM", help="Only this calendar month (UTC).")
@click.option("--sender", "by", flag_value="sender", default=True, help="One row per sender (the default).")
@click.option("--org", "by", flag_value="organisation", help="One row per organisation (others by sender).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV output.")
def usage(month: str | None, by: str, as_json: bool, as_csv: bool) -> None:
    """Questions, answered at once or reviewed, held, remaining quota and time to answer."""
    import csv

    from consultant.usage.report import month_bounds, usage_report

    if month is not None:
        try:
            month_bounds(month)
        except ValueError:
            raise click.BadParameter("use YYYY-MM", param_hint="--month")
    database_ready()
    with session_scope() as session:
        rows = [row.as_dict() for row in usage_report(session, current_plans(), month=month, by=by)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=USAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    if not rows:
        click.echo("no senders yet")
        return
    width = max(len(by), *(len(r["address"]) for r in rows))
    click.echo(f"{by:<{width}}  {'plan':<12}  {'questions':>9}  {'auto':>5}  {'reviewed':>8}  {'held':>5}  "
               f"{'left':>6}  {'median answer':>13}")
    for r in rows:
        left = "-" if r["remaining"] is None else r["remaining"]
        wait = "-" if r["median_seconds_to_answer"] is None else f"{r['median_seconds_to_answer']:.0f}s"
        click.echo(f"{r['address']:<{width}}  {r['plan']:<12}  {r['questions']:>9}  {r['answered_auto']:>5}  "
                   f"{r['reviewed']:>8}  {r['held']:>5}  {left:>6}  {wait:>13}")


USAGE_COLUMNS = ["address", "plan", "questions", "replies", "answered_auto", "reviewed", "held", "remaining",
                 "median_seconds_to_answer"]


def current_plans():
    from consultant.usage.plans import PlansError, load_plans

    try:
        return load_plans(get_settings().plans)
    except PlansError as exc:
        raise click.ClickException(f"plans: {exc}") from exc


# --- senders and plans ------------------------------------------------------------------------

@main.group()
def senders() -> None:
    """Senders: their plan, quota and held mail."""


@senders.command("list")
@click.option("--json", "as_json", is_flag=True)
def senders_list(as_json: bool) -> None:
    """Every sender: plan, consultations left this period, held messages, bouncing addresses."""
    from consultant.usage.senders import list_senders

    database_ready()
    with session_scope() as session:
        views = list_senders(session, current_plans())
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in views], indent=2))
        return
    if not views:
        click.echo("no senders yet")
    for v in views:
        left = "unlimited" if v.quota.remaining is None else f"{v.quota.remaining} left"
        click.echo(f"{v.address}  {v.plan}  {left}  {v.held} held" + ("  bouncing" if v.bouncing else ""))


@senders.command("show")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True)
def senders_show(address: str, as_json: bool) -> None:
    """One sender (ADDRESS): plan, registration, held messages and the quota line our replies show."""
    from consultant.usage.senders import SenderError, show

    database_ready()
    try:
        with session_scope() as session:
            view = show(session, address, current_plans())
    except SenderError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(view.as_dict(), indent=2))
        return
    click.echo(f"{view.address}: plan {view.plan}, registered {'yes' if view.registered else 'no'}, "
               f"{view.held} held")
    click.echo(view.quota.line())


@senders.command("set-plan")
@click.argument("address")
@click.argument("plan")
@click.option("--billing-day", type=click.IntRange(1, 31), default=None, help="Monthly plans renew on this day.")
@click.option("--org", "is_org", is_flag=True, help="ADDRESS names an organisation: a plan its members share.")
def senders_set_plan(address: str, plan: str, billing_day: int | None, is_org: bool) -> None:
    """Put ADDRESS (or, with --org, an organisation) on PLAN, a plan named in the plans file
    (CONSULTANT_PLANS; shipped: guest, registered, subscriber, unlimited). Try-outs: give yourself
    `unlimited` so that the guest quota does not hold your second question."""
    from consultant.usage.plans import PlansError
    from consultant.usage.senders import SenderError, set_organisation_plan, set_plan

    database_ready()
    try:
        with session_scope() as session:
            change = set_organisation_plan if is_org else set_plan
            change(session, address, plan, current_plans(), billing_day=billing_day)
    except (SenderError, PlansError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{address} is on plan {plan}")


@senders.command("release")
@click.argument("address", required=False)
@click.option("--inbound", "inbound_ids", type=int, multiple=True, help="Release this held message (repeatable).")
def senders_release(address: str | None, inbound_ids: tuple[int, ...]) -> None:
    """Answer held mail anyway: everything held for ADDRESS, or the messages named by --inbound."""
    from consultant.usage.release import ReleaseError, release_by_staff

    if bool(address) == bool(inbound_ids):
        raise click.UsageError("give an ADDRESS or --inbound ID, not both")
    database_ready()
    try:
        with session_scope() as session:
            address = current_plans().normalise(address) if address else None
            released = release_by_staff(session, address=address, inbound_ids=list(inbound_ids) or None)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"released {len(released)} message(s)" + (f": {', '.join(map(str, released))}" if released else ""))


@main.group()
def codes() -> None:
    """The code catalog."""


@codes.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when no ICD-10-CM codes are present.")
def codes_load(if_empty: bool) -> None:
    """Load ICD-10-CM 2026 (codes and notes) from the packaged CMS data, and the starter lay texts."""
    from consultant.bootstrap import load_catalog
    from consultant.codes.importers import icd10cm

    database_ready()
    started = time.monotonic()
    with session_scope() as session:
        if if_empty and icd10cm.loaded_count(session):
            click.echo("ICD-10-CM already loaded")
            return
    click.echo(load_catalog(progress_lines()))
    click.echo(f"done in {time.monotonic() - started:.1f}s")


@codes.command("import")
@click.argument("kind", type=click.Choice(["icd10pcs", "hcpcs", "cpt", "ncci-ptp", "mue", "icd10cm-index"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", default=None, help="Release name, e.g. 'NCCI PTP v32.1' (default: from the file).")
@click.option("--full/--partial", "full", default=None,
              help="icd10pcs, hcpcs: the file is (or is not) the whole official release of the code set. Only a "
                   "full release declares a code missing from it invalid. Default: full when the file has the "
                   "official file's size and sections. A CPT file is never full.")
@click.option("--json", "as_json", is_flag=True)
def codes_import(kind: str, path: Path, version: str | None, full: bool | None, as_json: bool) -> None:
    """Import a code file: the CMS ICD-10-PCS order file, HCPCS ANWEB, NCCI PTP, MUE, a licensee's CPT file,
    or the CDC's ICD-10-CM Alphabetic Index XML (icd10cm-index: its terms then lead search to their codes).

    A malformed file is rejected with its line number and reason, and nothing changes."""
    from consultant.codes.importers import ImportFormatError, import_file

    database_ready()
    try:
        with session_scope() as session:
            report = import_file(session, kind, path, version=version, full=full)
    except (ImportFormatError, ValueError) as exc:
        raise click.ClickException(f"not imported: {exc}")
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.summary())


@codes.command("show")
@click.argument("code")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date of service.")
@click.option("--system", type=click.Choice(["icd10cm", "pcs", "hcpcs", "cpt", "modifier"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def codes_show(code: str, on, system: str | None, as_json: bool) -> None:
    """What the catalog says about CODE: descriptor, status, notes, edits, MUE, lay text, sources.

    A code the catalog does not have is invalid only when a full official release of its set covers the
    date; one missing from a licensee's CPT file or a partial file is "not in the loaded file"."""
    from consultant.codes.show import code_detail, format_detail

    database_ready(codes=True)
    with session_scope() as session:
        detail = code_detail(session, code, system=system, on=on.date() if on else None)
    click.echo(json.dumps(detail.as_dict(), indent=2, default=str) if as_json else format_detail(detail))


@codes.command("check")
@click.argument("codes_given", nargs=-1, required=True, metavar="CODE CODE [...]")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date of service.")
@click.option("--json", "as_json", is_flag=True)
def codes_check(codes_given: tuple[str, ...], on, as_json: bool) -> None:
    """Every conflict among CODEs: Excludes1/Excludes2, NCCI PTP edits, MUE per code.

    Each table that applies (Excludes notes between ICD-10-CM codes, NCCI PTP practitioner and hospital
    edits between CPT/HCPCS codes, the MUE tables) is named as checked for the date, with its release
    and dates, or as not checked, with why; nothing is read from a table not checked.

    Exit status: 0 when nothing checked conflicts, 3 when a pair conflicts (Excludes1, or an NCCI PTP
    edit in force), 1 on an error, 2 on bad usage."""
    from consultant.codes.check import check_codes, format_check

    database_ready(codes=True)
    with session_scope() as session:
        result = check_codes(session, list(codes_given), on=on.date() if on else None)
    click.echo(json.dumps(result.as_dict(), indent=2, default=str) if as_json else format_check(result))
    if result.conflicting_pairs:
        sys.exit(CONFLICT_EXIT)


CONFLICT_EXIT = 3


@codes.command("search")
@click.argument("query")
@click.option("--system", type=click.Choice(["icd10cm", "pcs", "hcpcs", "cpt", "modifier"]), default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=10)
@click.option("--json", "as_json", is_flag=True)
def codes_search(query: str, system: str | None, limit: int, as_json: bool) -> None:
    """Ranked full-text search over descriptors, inclusion terms and lay descriptions."""
    from consultant.codes.search import search

    database_ready(codes=True)
    with session_scope() as session:
        hits = search(session, query, system=system, limit=limit)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], indent=2))
        return
    if not hits:
        click.echo("no match")
    for hit in hits:
        click.echo(f"{hit.code:<9} {hit.system:<8} {hit.descriptor}")


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision (says which it did)."""
    from consultant.bootstrap import shown_url, upgrade_schema

    settings = get_settings()
    click.echo(upgrade_schema(settings).summary(shown_url(settings.resolved_database_url)))


@main.command()
def sweep() -> None:
    """Wake the queue for every message or reply stuck in a non-final state (the beat does this too)."""
    from consultant.sweeper import wake_stuck

    database_ready()
    stuck = wake_stuck(get_settings())
    click.echo(f"re-queued {len(stuck.inbound_ids)} inbound, {len(stuck.outbound_ids)} outbound")


# -- stored inbound mail: feeding saved mail in, listing it, retrying what was quarantined --------------------------


@main.command("inject")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def inject_command(paths: tuple[Path, ...]) -> None:
    """Feed saved mail in as SMTP would: each PATH an .eml file, a folder of them, a maildir or an mbox.

    Each message is stored and queued; an identical one stored before is a duplicate; one over
    CONSULTANT_MAX_MESSAGE_BYTES is refused. Exits 1 when anything was refused."""
    from consultant.mail.inject import REFUSED, inject, input_kind

    database_ready()
    settings = get_settings()
    refused = 0
    for path in paths:
        report = inject(settings, path)
        click.echo(f"{path} ({input_kind(path)}): {report.summary()}")
        for result in report.results:
            if result.outcome == REFUSED:
                refused += 1
                click.echo(f"  refused {result.name}: {result.reason}")
    if refused:
        sys.exit(1)


INBOUND_STATUSES = InboundStatus.ALL


@main.group()
def inbox() -> None:
    """Stored inbound mail."""


@inbox.command("list")
@click.option("--status", type=click.Choice([*INBOUND_STATUSES, "all"]), default="quarantined", show_default=True,
              help="Only messages in this status; `all` for every message.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100)
@click.option("--json", "as_json", is_flag=True)
def inbox_list(status: str, limit: int, as_json: bool) -> None:
    """Messages with id, received_at, sender, size, status and reason (by default the quarantined ones)."""
    from consultant.mail.inbox import list_inbox

    database_ready()
    with session_scope() as session:
        rows = list_inbox(session, status=None if status == "all" else status, limit=limit)
    if as_json:
        click.echo(json.dumps([row.as_dict() for row in rows], indent=2))
        return
    if not rows:
        click.echo("no messages" if status == "all" else f"no {status} messages")
        return
    click.echo(f"{'id':>6}  {'received_at':<20}  {'sender':<30}  {'size':>9}  {'status':<11}  reason")
    for r in rows:
        click.echo(f"{r.id:>6}  {r.received_at:%Y-%m-%d %H:%M:%S}Z  {r.sender[:30]:<30}  {r.size:>9}  "
                   f"{r.status:<11}  {r.reason}")


@inbox.command("retry")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--force", is_flag=True, help="Also retry messages that are not quarantined.")
def inbox_retry(ids: tuple[int, ...], force: bool) -> None:
    """Put quarantined messages back to 'received' (attempts 0) and queue them. Exits 1 if any was refused."""
    from consultant.mail.inbox import retry

    database_ready()
    with session_scope() as session:
        results = retry(session, list(ids), force=force)
    for result in results:
        click.echo(f"{result.inbound_id}: " + ("queued again" if result.retried else f"not retried, {result.reason}"))
    if not all(result.retried for result in results):
        sys.exit(1)


# --- organisations -----------------------------------------------------------------------------

@main.group()
def orgs() -> None:
    """Organisations: senders at an organisation's domains (or added by name) share their threads."""


@orgs.command("add")
@click.argument("name")
@click.option("--domain", "domains", multiple=True, help="A domain whose addresses belong (repeatable).")
def orgs_add(name: str, domains: tuple[str, ...]) -> None:
    """Create organisation NAME; addresses at each --domain belong to it."""
    from consultant.usage.organisations import OrganisationError, create

    database_ready()
    try:
        with session_scope() as session:
            create(session, name, list(domains))
    except OrganisationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"organisation {name!r} added" + (f" for {', '.join(domains)}" if domains else ""))


@orgs.command("add-member")
@click.argument("name")
@click.argument("address")
def orgs_add_member(name: str, address: str) -> None:
    """Add ADDRESS to organisation NAME by name (for addresses outside its domains)."""
    from consultant.usage.organisations import OrganisationError, add_member

    database_ready()
    try:
        with session_scope() as session:
            add_member(session, name, address)
    except OrganisationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{address} is a member of {name!r}")


@orgs.command("list")
def orgs_list() -> None:
    """Organisations with their domains and named members."""
    from sqlalchemy import func, select

    from consultant.db.models import Organisation, Sender

    database_ready()
    with session_scope() as session:
        rows = session.execute(
            select(Organisation.name, Organisation.domains, func.count(Sender.id))
            .outerjoin(Sender, Sender.organisation_id == Organisation.id)
            .group_by(Organisation.id).order_by(Organisation.name)).all()
    if not rows:
        click.echo("no organisations")
    for name, domains, members in rows:
        click.echo(f"{name}: domains {', '.join(domains) or '-'}; {members} named member(s)")


if __name__ == "__main__":
    main()
