"""A request's outbox jobs go to Redis once its answer was sent, not while the person waits;
outside a request (a command, a job) at once; work left for after the answer that fails is
logged and does not stop the rest."""

from __future__ import annotations

import logging

import pytest

from app.after_answer import AfterAnswer, after_answer
from tests.redis_server import private_redis  # noqa: F401  (fixture)


@pytest.fixture
def outbox_queue(app, monkeypatch, private_redis):  # noqa: F811
    from redis import Redis
    from rq import Queue

    monkeypatch.setitem(app.config, "REDIS_URL", private_redis.url)
    connection = Redis.from_url(private_redis.url)
    yield Queue("outbox", connection=connection)
    connection.connection_pool.disconnect()


def test_a_reports_job_is_queued_once_its_answer_was_sent(signed_in, db, outbox_queue):
    client, _employee = signed_in("employee")
    client.get("/incidents/report")
    form = {"short_description": "Teams crashes when sharing", "urgency": "2"}
    # Read the answer as a server sends it, without closing it yet.
    answer = client.post("/incidents/report", form, buffered=False)
    assert answer.status_code == 302
    assert answer.location.startswith("/incidents/INC")  # the whole answer, read
    assert outbox_queue.count == 0  # the person did not wait for Redis
    answer.close()  # the server closes what it sent
    assert outbox_queue.count == 1
    (job,) = outbox_queue.jobs
    from app.outbox.models import OutboxMessage

    (message_id,) = job.args
    assert db.session.get(OutboxMessage, message_id).kind == "notifications.fan_out"


def test_outside_a_request_the_job_is_queued_at_the_commit(app, db, outbox_queue):
    from app.outbox import enqueue

    with app.test_request_context():  # a request context without a served answer
        assert after_answer(lambda: None) is False
    enqueue("notifications.fan_out", {"events": []})
    db.session.commit()
    assert outbox_queue.count == 1


def test_work_that_fails_after_the_answer_is_logged_and_the_rest_still_runs(caplog):
    ran: list[str] = []

    def wsgi_app(environ, start_response):
        environ["deskgraph.after_answer"].extend(
            [lambda: ran.append("first"), lambda: 1 / 0, lambda: ran.append("third")]
        )
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    served = AfterAnswer(wsgi_app)
    answer = served({}, lambda *_args: None)
    assert b"".join(answer) == b"done"
    assert ran == []
    with caplog.at_level(logging.ERROR, logger="app.after_answer"):
        answer.close()
    assert ran == ["first", "third"]
    assert "work left for after the answer failed" in caplog.text


def test_a_file_the_server_sends_itself_stays_its_own_and_still_runs_the_work_after_it():
    """gunicorn sends a download with ``sendfile`` only when the answer is its own
    ``wsgi.file_wrapper``: the layer must not wrap it."""
    import io

    from werkzeug.wsgi import FileWrapper

    ran: list[str] = []
    sent = FileWrapper(io.BytesIO(b"attachment"))

    def wsgi_app(environ, start_response):
        environ["deskgraph.after_answer"].append(lambda: ran.append("queued"))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return sent

    answer = AfterAnswer(wsgi_app)({"wsgi.file_wrapper": FileWrapper}, lambda *_a: None)
    assert answer is sent
    assert b"".join(answer) == b"attachment"
    answer.close()
    assert ran == ["queued"]


def test_the_work_runs_even_when_the_answers_own_close_fails_and_later_work_runs_at_once():
    ran: list[str] = []
    environ: dict = {}

    class Streamed:
        def __iter__(self):
            yield b"part"

        def close(self):
            raise RuntimeError("teardown failed")

    def wsgi_app(environ, start_response):
        environ["deskgraph.after_answer"].append(lambda: ran.append("queued"))
        start_response("200 OK", [])
        return Streamed()

    answer = AfterAnswer(wsgi_app)(environ, lambda *_a: None)
    assert b"".join(answer) == b"part"
    with pytest.raises(RuntimeError):
        answer.close()
    assert ran == ["queued"]
    from flask import Flask

    with Flask(__name__).test_request_context(environ_overrides=environ):
        assert after_answer(lambda: None) is False  # the answer is gone: the caller runs it
