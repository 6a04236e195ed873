"""Deliverable reminders: each one sent once, whatever runs it twice."""

import datetime
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.db import connection, connections

from benchmark_portal.database import database_url
from partnerships import services, tasks
from tests.factories import DeliverableFactory, PartnershipFactory, UserFactory

DAY = datetime.timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recipient(db):
    return UserFactory(role="staff", email="suivi@example.org")


@pytest.mark.django_db
def test_due_reminder_is_sent_once(recipient, today):
    d = DeliverableFactory(title="Rapport annuel", due_date=today + 3 * DAY)
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="due") is True
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="due") is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["suivi@example.org"]
    assert "Rapport annuel" in message.subject
    assert "dans 3 jours" in message.body
    assert d.partnership.get_absolute_url() in message.body
    d.refresh_from_db()
    assert d.reminder_sent_on == today


@pytest.mark.django_db
def test_overdue_reminder_is_a_second_distinct_mail(recipient, today):
    d = DeliverableFactory(due_date=today - 2 * DAY, reminder_sent_on=today - 9 * DAY)
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="due") is False  # no longer due: late
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="overdue") is True
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="overdue") is False
    assert len(mail.outbox) == 1
    assert "2 jours de retard" in mail.outbox[0].body


@pytest.mark.django_db
def test_no_reminder_for_a_deliverable_delivered_since_the_scan(recipient, today):
    d = DeliverableFactory(due_date=today + DAY, status="delivered", delivered_on=today)
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="due") is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_manager_gets_the_reminder_rather_than_the_whole_team(recipient, today):
    manager = UserFactory(role="staff", email="cheffe@example.org")
    d = DeliverableFactory(partnership=PartnershipFactory(manager=manager), due_date=today)
    services.deliverable_send_reminder(deliverable_id=d.pk, kind="due")
    assert mail.outbox[0].to == ["cheffe@example.org"]
    assert "aujourd'hui" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_failed_send_leaves_the_reminder_to_the_next_run(recipient, today, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.partnerships.mail_backends.RefusingBackend"}}
    d = DeliverableFactory(due_date=today + DAY)
    with pytest.raises(OSError):
        services.deliverable_send_reminder(deliverable_id=d.pk, kind="due")
    d.refresh_from_db()
    assert d.reminder_sent_on is None


@pytest.mark.django_db
def test_without_any_recipient_nothing_is_marked_sent(today):
    d = DeliverableFactory(due_date=today + DAY)
    assert services.deliverable_send_reminder(deliverable_id=d.pk, kind="due") is False
    d.refresh_from_db()
    assert d.reminder_sent_on is None


@pytest.fixture
def eager_celery():
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = previous


@pytest.mark.django_db
def test_daily_task_run_twice_sends_each_reminder_once(recipient, today, eager_celery):
    DeliverableFactory(title="Bientôt", due_date=today + 5 * DAY)
    DeliverableFactory(title="En retard", due_date=today - DAY)
    DeliverableFactory(title="Plus tard", due_date=today + 20 * DAY)
    assert tasks.send_deliverable_reminders() == {"due": 1, "overdue": 1}
    assert tasks.send_deliverable_reminders() == {"due": 0, "overdue": 0}
    assert sorted(m.subject.split(" : ")[-1] for m in mail.outbox) == ["Bientôt", "En retard"]


def test_the_reminder_task_is_scheduled_daily_by_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["partnerships-deliverable-reminders"]
    assert entry["task"] == tasks.send_deliverable_reminders.name
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_one_mail(recipient, today, settings):
    """The row lock makes the second sender wait, then find the reminder sent."""
    settings.MAILERS = {"default": {"BACKEND": "tests.partnerships.mail_backends.SlowBackend"}}
    d = DeliverableFactory(due_date=today + DAY)
    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait()
            results.append(services.deliverable_send_reminder(deliverable_id=d.pk, kind="due"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


# --- A real worker ------------------------------------------------------------------------

REDIS_URL = os.environ.get("PERISCOPE_PARTNERSHIPS_REDIS_URL", "redis://127.0.0.1:6379/6")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_duplicate_deliveries_to_a_real_worker_send_one_mail(recipient, today, tmp_path):
    """The same reminder queued four times (a beat run twice, a redelivery…) reaches a
    four-process worker: one e-mail, the other three tasks return False."""
    from celery import Celery

    d = DeliverableFactory(title="Rapport final", due_date=today + 2 * DAY)
    client = Celery("partnerships-test", broker=REDIS_URL, backend=REDIS_URL)
    client.conf.task_default_queue = "default"
    client.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.partnerships.worker_settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "PERISCOPE_TEST_MAIL_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "benchmark_portal",
            "worker",
            "-Q",
            "default",
            "-c",
            "4",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        results = [
            client.send_task(tasks.send_deliverable_reminder.name, args=[d.pk, "due"], queue="default")
            for _ in range(4)
        ]
        outcomes = [r.get(timeout=60) for r in results]
    finally:
        worker.terminate()
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    assert sorted(outcomes) == [False, False, False, True], output
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert "Rapport final" in files[0].read_text()
    d.refresh_from_db()
    assert d.reminder_sent_on == today
