"""Outgoing e-mail through the configured SMTP server.

MAIL_SERVER / MAIL_PORT, with MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL and
MAIL_USERNAME / MAIL_PASSWORD when the server wants them. Without
MAIL_SERVER the message is written as an .eml file in MAIL_FILE_DIR
(development: instance/mail/), or only logged when that is not set, so
`make run` works offline and shows what would have gone out.
"""
import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from app import clock

log = logging.getLogger(__name__)


def send_mail(to, subject, body):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    deliver(message)


def deliver(message):
    """Hand `message` to the SMTP server; returns when the server accepted it (raises otherwise)."""
    config = current_app.config
    if not message["Message-ID"]:
        message["Message-ID"] = make_msgid(domain="kindling.local")
    if not config.get("MAIL_SERVER"):
        folder = config.get("MAIL_FILE_DIR")
        if folder:
            return _write_file(Path(folder), message)
        log.info("mail not sent (no MAIL_SERVER): to=%s subject=%s", message["To"], message["Subject"])
        return None
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    return None


def _write_file(folder, message):
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{clock.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    path = folder / f"{stem}.eml"
    path.write_bytes(bytes(message))
    log.info("mail written to %s (no MAIL_SERVER)", path)
    return path
