"""Test-only e-mail backends standing in for the SMTP server (outside the machine)."""

import smtplib
import time

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class SlowBackend(LocmemBackend):
    """Takes its time, so that two concurrent senders overlap."""

    def send_messages(self, messages):
        time.sleep(0.4)
        return super().send_messages(messages)


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection lost")
