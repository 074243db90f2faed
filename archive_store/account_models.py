"""Tables of the server's people: users, their sessions and API tokens, failed sign-ins, audit.

New tables only (created in archives of any version when opened); imported by models.py so
that create_all makes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archive_store.models import Base, utcnow


class User(Base):
    """A person who may use the server: role (what they may do) and clearance (what they see)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    """Sign-in name: lower-case ASCII letters, digits, dot, dash, underscore."""
    full_name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    """researcher, clerk or admin (sohoa.roles)."""
    clearance: Mapped[int] = mapped_column(Integer)
    """sohoa.access.AccessLevel: the highest độ mật this person may see."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    """Argon2id (argon2-cffi's encoded form, parameters included); never the password."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser: the id is only in the cookie; the store keeps its SHA-256."""

    __tablename__ = "user_session"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    """Sent back by the page in a header on every state-changing request."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    client: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")


class ApiToken(Base):
    """A machine client's credential (LGSP, Trục liên thông), bound to a user; kept hashed."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()


class LoginFailure(Base):
    """A failed sign-in, by name and client address, for throttling (kept 1 day)."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditRecord(Base):
    """One entry of the audit trail, chained to the one before by its hash (append-only)."""

    __tablename__ = "audit_record"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """1, 2, 3, ... with no gap: a deleted row breaks the count and the chain."""
    at: Mapped[dt.datetime] = mapped_column(index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    """Who (a user's sign-in name, the name tried at a failed sign-in, or cli:LOGIN)."""
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    """ok, denied, failed, throttled."""
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    client: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
