"""The one-time submission token costs a creating form one statement: the token's row is
written unless it is there, and a replay (the row is there) is refused. Before, a read, a
savepoint, the insert and the savepoint's release were four round trips on every report,
reply and order (issue 20: the writes of the load run; ``count_queries`` leaves savepoints
out, so the old way counts two here)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.submissions import AlreadySubmitted, FormSubmission, consume_submission
from tests.conftest import count_queries

TOKEN = "0123456789abcdef0123456789abcdef"


def test_a_token_is_used_in_one_statement_and_refused_the_second_time(db):
    with count_queries() as sent:
        consume_submission(TOKEN, "/incidents/mine")
    assert len(sent) == 1, sent
    db.session.commit()
    with count_queries() as sent, pytest.raises(AlreadySubmitted) as refused:
        consume_submission(TOKEN, "/incidents/mine")
    assert len(sent) == 1, sent
    assert refused.value.location == "/incidents/mine"
    assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 1


def test_a_token_of_a_rolled_back_submission_can_be_used_again(db):
    consume_submission(TOKEN)
    db.session.rollback()
    consume_submission(TOKEN)  # not refused: the first use went with its transaction
    db.session.commit()
    assert db.session.get(FormSubmission, TOKEN) is not None


def test_the_transaction_goes_on_after_a_refused_replay(db):
    consume_submission(TOKEN)
    db.session.commit()
    with pytest.raises(AlreadySubmitted):
        consume_submission(TOKEN)
    # nothing failed in the database: the same transaction can still read and write
    consume_submission("f" * 32)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(FormSubmission)) == 2
