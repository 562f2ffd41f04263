"""Outgoing mail, sent after the request commits. Embedded default: the log and instance/mail/."""
from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from lms.core.inputs import header_value
from lms.jobs import Queue, enqueue_after_commit


class _MailPolicy(EmailPolicy):
    """The default policy, except that:

    - the URL headers of RFC 2369/8058 are written on one line as given: the default folds a long
      unbreakable value into RFC 2047 encoded words, which hides the <https://...> a mail program looks for;
    - a Subject that is not plain ASCII is written whole as RFC 2047 encoded words by the email package's
      own encoder (email.header.Header), every space inside the encoded text. The default policy's folder
      (CPython 3.11) writes some spaces bare between two encoded words, where RFC 2047 says a reader drops
      them: a title ending in `"quotes" & amp` arrived as `"quotes" &amp`.
    """

    unfolded = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
    encoded_whole = frozenset({"subject"})

    def _encoded(self, name, value) -> str | None:
        if name.lower() not in self.encoded_whole:
            return None
        text = str(value)
        if text.isascii():
            return None
        from email.header import Header

        encoded = Header(text, "utf-8", maxlinelen=self.max_line_length, header_name=name).encode(
            linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold(self, name, value):
        if name.lower() in self.unfolded:
            return f"{name}: {value}{self.linesep}"
        return self._encoded(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() in self.unfolded:
            return f"{name}: {value}{self.linesep}".encode("ascii", "replace")
        encoded = self._encoded(name, value)
        return encoded.encode("ascii") if encoded else super().fold_binary(name, value)


_POLICY = _MailPolicy()


def send_mail(to: str, subject: str, template: str, locale: str | None = None,
              headers: dict[str, str] | None = None, **context) -> None:
    """Render templates/email/<template>.txt (and <template>.html, where there is one, as the HTML
    alternative) in the recipient's locale and send it after commit, with extra `headers` (such as
    List-Unsubscribe)."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", **context)
        try:
            html = render_template(f"email/{template}.html", **context)
        except TemplateNotFound:
            html = None
        subject = header_value(subject)  # a title with a line break must not kill the job
    extra = (html, headers) if html or headers else ()
    enqueue_after_commit(deliver, to, subject, body, *extra, queue=Queue.mail)


def deliver(to: str, subject: str, body: str, html: str | None = None, headers: dict[str, str] | None = None) -> None:
    """Task: deliver one rendered message through the configured backend.

    Header values are folded onto one line here too (jobs queued before that rule still send):
    the email package refuses CR and LF in a header, which would fail the job every retry.
    """
    app = current_app
    message = EmailMessage(policy=_POLICY)
    message["From"] = header_value(app.config["MAIL_FROM"])
    message["To"] = header_value(to)
    message["Subject"] = header_value(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="circles")
    for name, value in (headers or {}).items():
        message[name] = header_value(value)
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    if app.config["MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(app.config["SMTP_HOST"], app.config["SMTP_PORT"], timeout=30) as smtp:
            if app.config["SMTP_STARTTLS"]:
                smtp.starttls()
            if app.config.get("SMTP_USERNAME"):
                smtp.login(app.config["SMTP_USERNAME"], app.config["SMTP_PASSWORD"])
            smtp.send_message(message)
        return
    folder = mail_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    # debug, not info: scripts/serve.py says once where mail goes, and a line per message would land
    # between the lines a newcomer reads (the demo's accounts) whenever a job thread delivers
    app.logger.debug("mail to %r: %r written to %s", to, subject, path)


def mail_folder(app) -> Path:
    """Where the file backend writes each message as an .eml file: MAIL_DIR, else instance/mail."""
    return Path(app.config.get("MAIL_DIR") or Path(app.instance_path) / "mail")
