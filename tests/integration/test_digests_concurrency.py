"""``flask digests send-due`` run twice at the same moment, as two real
processes against PostgreSQL: exactly one digest and one e-mail per
recipient and period. The (user, period) unique constraint is the claim."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, RoleGrant, Scope, User
from app.consultations.models import Consultation, ConsultationRegion, Status
from app.core.db import make_engine
from app.core.models import OutboxMessage
from app.digests.models import Digest
from app.geography.services import load_geography

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 8
SEND_AT = "2026-12-02T06:00"  # the weekly period is 23–30 November 2026


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "AGORA_ENV": "production", "SECRET_KEY": "digest-concurrency-test", "DATABASE_URL": url}


def _flask(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=_env(url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture()
def digest_db(scratch_url):
    if not scratch_url.startswith("postgresql"):
        pytest.skip("concurrent runs are proven on PostgreSQL")
    upgrade = _flask(scratch_url, "db", "upgrade")
    assert upgrade.wait(timeout=120) == 0, upgrade.stderr.read()
    engine = make_engine(scratch_url)
    with Session(engine) as session:
        load_geography(session, ROOT / "data")
        for n in range(RECIPIENTS):
            user = User(email=f"fp{n}@osce.example", display_name=f"Focal point {n}", password_hash="x")
            session.add(user)
            session.flush()
            session.add(RoleGrant(user_id=user.id, role=Role.FOCAL_POINT, scope_type=Scope.REGION, scope_key="OSCE"))
        opened = datetime(2026, 11, 24, 9, tzinfo=UTC)
        session.add(Consultation(
            country_code="AT", title="Draft export control law opened in the period", instrument_type="law",
            drafting_authority="Ministry", opens_at=opened, closes_at=opened + timedelta(days=60),
            status=Status.OPEN, languages=["en"], regions=[ConsultationRegion(region_code="OSCE")]))
        session.commit()
    yield scratch_url, engine
    engine.dispose()


def test_two_concurrent_send_due_runs_queue_one_digest_per_recipient(digest_db):
    url, engine = digest_db
    runs = [_flask(url, "digests", "send-due", "--now", SEND_AT) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    queued = [int(out.split("digests: ")[1].split(" queued")[0]) for out, _err in outputs]
    assert sum(queued) == RECIPIENTS  # the work was shared or done by one, never twice
    with Session(engine) as session:
        per_user = session.execute(select(Digest.user_id, func.count()).group_by(Digest.user_id)).all()
        assert len(per_user) == RECIPIENTS and {n for _u, n in per_user} == {1}
        keys = session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("digest:%")))
        assert sorted(keys) == sorted(f"digest:{u}:W2026-48" for u, _n in per_user)
    again = _flask(url, "digests", "send-due", "--now", SEND_AT)
    out, _err = again.communicate(timeout=120)
    assert again.returncode == 0 and f"0 queued, {RECIPIENTS} already done" in out
