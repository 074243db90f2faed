"""Users, sessions, tokens and the audit chain in the store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text, update

from archive_store import accounts, audit
from archive_store.account_models import ApiToken, UserSession
from archive_store.accounts import AccountError, Policy, Role
from archive_store.db import Archive
from sohoa.access import AccessLevel
from sohoa.errors import NotFound

PASSWORD = "mat-khau-rat-dai-1"


def test_passwords_are_argon2id_and_sign_in_is_throttled(archive: Archive) -> None:
    u = accounts.add_user(archive, "lan", "Lan", Role.clerk, AccessLevel.mat, PASSWORD)
    with archive.reading() as s:
        stored = s.execute(text("select password_hash from app_user")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    policy = Policy(failures_per_user=3, failures_per_client=100)
    assert accounts.sign_in(archive, "LAN ", PASSWORD, "10.0.0.1", policy).user == u
    for _ in range(3):
        assert accounts.sign_in(archive, "lan", "sai", "10.0.0.1", policy).outcome == "failed"
    assert accounts.sign_in(archive, "lan", PASSWORD, "10.0.0.2", policy).outcome == "throttled"
    by_client = Policy(failures_per_user=100, failures_per_client=2)
    for name in ("a", "b"):
        accounts.sign_in(archive, name, "sai", "10.0.0.9", by_client)
    assert accounts.sign_in(archive, "x", "y", "10.0.0.9", by_client).outcome == "throttled"
    with pytest.raises(AccountError):
        accounts.add_user(archive, "lan", "Lan", Role.clerk, AccessLevel.mat, PASSWORD)
    with pytest.raises(AccountError):
        accounts.add_user(archive, "Bad Name", "x", Role.clerk, AccessLevel.mat, PASSWORD)
    with pytest.raises(AccountError):
        accounts.add_user(archive, "ngan", "x", Role.clerk, AccessLevel.mat, "short")


def test_sessions_end_on_timeouts_and_on_every_change(archive: Archive) -> None:
    u = accounts.add_user(archive, "an", "An", Role.researcher, AccessLevel.mat, PASSWORD)
    accounts.add_user(archive, "boss", "Boss", Role.admin, AccessLevel.tuyet_mat, PASSWORD)
    policy = Policy()
    raw, csrf = accounts.open_session(archive, u.id, "c", "ua")
    who = accounts.session_principal(archive, raw, policy)
    assert who is not None and accounts.csrf_matches(who, csrf)
    assert not accounts.csrf_matches(who, "") and not accounts.csrf_matches(who, csrf[:-1])
    with archive.session() as s:
        s.execute(update(UserSession).values(
            last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)))  # fmt: skip
    assert accounts.session_principal(archive, raw, policy) is None
    raw, _ = accounts.open_session(archive, u.id, "c", "ua")
    with archive.session() as s:
        s.execute(update(UserSession).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=8, minutes=1)))  # fmt: skip
    assert accounts.session_principal(archive, raw, policy) is None
    changes: list[dict] = [
        {"full_name": "An Nguyễn"}, {"clearance": AccessLevel.cong_khai}, {"role": Role.clerk},
        {"password": "mat-khau-moi-dai"}, {"active": False},
    ]  # fmt: skip
    for change in changes:
        raw, _ = accounts.open_session(archive, u.id, "c", "ua")
        accounts.set_user(archive, "an", **change)
        alive = accounts.session_principal(archive, raw, policy) is not None
        assert alive == ("full_name" in change), change
    with pytest.raises(AccountError):
        accounts.set_user(archive, "boss", active=False)  # the last admin stays
    with pytest.raises(NotFound):
        accounts.set_user(archive, "khong-co", full_name="x")


def test_tokens_are_hashed_expire_and_are_revoked(archive: Archive) -> None:
    accounts.add_user(archive, "bot", "Bot", Role.researcher, AccessLevel.cong_khai, PASSWORD)
    raw, _ = accounts.add_token(archive, "bot", "lgsp", 30)
    with archive.reading() as s:
        assert raw not in str(s.execute(text("select * from api_token")).all())
    who = accounts.token_principal(archive, raw)
    assert who is not None and who.user.name == "bot" and who.via == "token"
    assert accounts.token_principal(archive, raw + "x") is None
    assert accounts.token_principal(archive, "sohoa_" + "a" * 43) is None
    with archive.session() as s:
        s.execute(update(ApiToken).values(expires_at=dt.datetime.now(dt.UTC)))
    assert accounts.token_principal(archive, raw) is None
    raw2, info2 = accounts.add_token(archive, "bot", "lgsp-2", 30)
    assert accounts.revoke_token(archive, info2.id).revoked_at is not None
    assert accounts.token_principal(archive, raw2) is None
    assert [t.name for t in accounts.tokens(archive, "bot")] == ["lgsp", "lgsp-2"]


def test_the_audit_chain_from_many_threads_and_two_processes(archive: Archive) -> None:
    other = Archive(archive.root, db_url=archive.db_url)  # another server process's store
    try:
        recorders = [audit.Recorder(archive), audit.Recorder(other)]

        def work(n: int) -> None:
            for i in range(10):
                recorders[n % 2].record(audit.Event("search", f"u{n}", detail={"i": i}))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        other.close()
    check = audit.verify(archive)
    assert check.ok and check.checked == 80, check
    seqs = [e.seq for e in audit.entries(archive)]
    assert seqs == list(range(1, 81))
    assert len(list(audit.entries(archive, user="u3"))) == 10
    with archive.session() as s:
        s.execute(text("update audit_record set outcome = 'denied' where seq = 40"))
    assert audit.verify(archive).bad_seq == 40
    with archive.session() as s:
        s.execute(text("update audit_record set outcome = 'ok' where seq = 40"))
        s.execute(text("delete from audit_record where seq = 80"))
    tail = audit.verify(archive)
    assert not tail.ok and tail.bad_seq == 80 and "removed" in tail.problem
