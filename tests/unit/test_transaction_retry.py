"""Which database errors make a request worth running again: the database
let another transaction through and wrote nothing of this one."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from app.core.transactions import retryable


def test_a_sqlite_writer_that_found_the_lock_taken_is_tried_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    with holder.connect() as first, waiter.connect() as second:
        first.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        first.commit()
        first.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError) as busy:
            second.exec_driver_sql("BEGIN IMMEDIATE")
        first.rollback()
    assert retryable(busy.value)
    try:  # the error as the view sees it: raised while handling another one
        raise RuntimeError("rendering failed") from busy.value
    except RuntimeError as wrapped:
        assert retryable(wrapped)
    holder.dispose()
    waiter.dispose()


def test_an_error_in_the_statement_itself_is_not_tried_again(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    with engine.connect() as connection, pytest.raises(OperationalError) as missing:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert not retryable(missing.value)
    engine.dispose()
