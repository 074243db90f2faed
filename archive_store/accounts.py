"""Users, their passwords (Argon2id), sessions, API tokens and sign-in throttling, in the store.

Secrets never reach the database in clear: passwords are Argon2id hashes; session ids and API
tokens are random (256 bits) and only their SHA-256 is kept, so a copy of the database opens
no session. Every change of a user's password, role, clearance or active flag ends all of
that user's sessions in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from archive_store.account_models import ApiToken, LoginFailure, User, UserSession
from archive_store.db import Archive, RawReads
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode, NotFound, SohoaError


class Role(IntEnum):
    """What a user may do; each role may do what the ones below it may."""

    researcher = 0  # search, read, download what the clearance allows
    clerk = 1  # also batches, the review queue and corrections
    admin = 2  # also users, tokens, the audit trail, reindex, fixity


def parse_role(value: str) -> Role:
    try:
        return Role[value.strip().lower()]
    except KeyError:
        raise AccountError(
            vi=f"Vai trò không hợp lệ: {value!r}. Dùng researcher, clerk hoặc admin.",
            en=f"Unknown role {value!r}. Use researcher, clerk or admin.",
        ) from None


class AccountError(SohoaError):
    """A user or token request that cannot be done as asked (bad name, short password...)."""

    exit_code = ExitCode.usage


@dataclass(frozen=True)
class Policy:
    """Session and sign-in limits (the server's settings)."""

    idle_minutes: float = 30
    absolute_hours: float = 8
    failures_per_user: int = 5
    failures_per_client: int = 20
    """A client address behind which several people work (an office NAT) gets more."""
    failure_window_minutes: float = 15

    def __post_init__(self) -> None:
        if self.idle_minutes <= 0 or self.absolute_hours <= 0:
            raise ValueError("session timeouts must be positive")
        if self.failures_per_user < 1 or self.failures_per_client < 1:
            raise ValueError("throttling limits must be at least 1")


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    full_name: str
    role: Role
    clearance: AccessLevel
    active: bool
    created_at: dt.datetime
    changed_at: dt.datetime

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "full_name": self.full_name,
            "role": self.role.name,
            "clearance": self.clearance.slug,
            "active": self.active,
            "created_at": iso(self.created_at),
            "changed_at": iso(self.changed_at),
        }


@dataclass(frozen=True)
class Principal:
    """Who a request is from, as the store says now (role and clearance read per request)."""

    user: UserInfo
    via: str
    """"session" or "token"."""
    csrf_token: str = ""
    session_hash: str = ""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_name: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "user": self.user_name,
            "name": self.name,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat().replace("+00:00", "Z")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- passwords ------------------------------------------------------------------------------

_hasher = PasswordHasher()  # Argon2id, argon2-cffi's defaults (RFC 9106 low-memory profile)
_dummy_hash: str | None = None
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            vi=f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
            en=f"A password needs at least {MIN_PASSWORD} characters.",
        )
    if len(password) > 1024:
        raise AccountError(vi="Mật khẩu quá dài.", en="The password is too long.")
    return _hasher.hash(password)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password[:1024])
    except (VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    """A hash to check unknown names against, so they take as long as wrong passwords."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def warm_up() -> None:
    """Make the unknown-name hash now, so the first unknown name costs what later ones do."""
    _dummy()


def _check_name(name: str) -> str:
    if not NAME.match(name):
        raise AccountError(
            vi=f"Tên đăng nhập {name!r} không hợp lệ: dùng chữ thường không dấu, số, dấu chấm, "
            "gạch ngang hoặc gạch dưới (tối đa 64 ký tự).",
            en=f"Bad user name {name!r}: use lower-case ASCII letters, digits, dot, dash or "
            "underscore (at most 64).",
        )
    return name


def _info(u: User) -> UserInfo:
    return UserInfo(
        u.id, u.name, u.full_name, Role(_role_value(u.role)), AccessLevel(u.clearance),
        u.active, utc(u.created_at), utc(u.changed_at),
    )  # fmt: skip


_USER_COLUMNS = (
    "u.id, u.name, u.full_name, u.role, u.clearance, u.active, u.created_at, u.changed_at"
)


def _info_row(row: Sequence[Any]) -> UserInfo:
    """A user's record from the _USER_COLUMNS of a driver's row (Archive.raw_reads)."""
    id_, name, full_name, role, clearance, active, created, changed = row
    return UserInfo(
        id_, name, full_name, Role(_role_value(role)), AccessLevel(clearance), bool(active),
        utc(RawReads.when(created)), utc(RawReads.when(changed)),
    )  # fmt: skip


def _role_value(name: str) -> int:
    return Role[name].value


def _no_user(name: str) -> NotFound:
    return NotFound(vi=f"Không có người dùng {name!r}.", en=f"No user {name!r}.")


def _get(s: Session, name: str) -> User:
    user = s.scalar(select(User).where(User.name == name))
    if user is None:
        raise _no_user(name)
    return user


# -- users ----------------------------------------------------------------------------------


def add_user(
    archive: Archive,
    name: str,
    full_name: str,
    role: Role,
    clearance: AccessLevel,
    password: str,
) -> UserInfo:
    _check_name(name)
    encoded = hash_password(password)
    with archive.session() as s:
        if s.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(vi=f"Đã có người dùng {name!r}.", en=f"User {name!r} exists.")
        user = User(
            name=name, full_name=full_name.strip()[:256] or name, role=role.name,
            clearance=int(clearance), active=True, password_hash=encoded,
        )  # fmt: skip
        s.add(user)
        s.flush()
        return _info(user)


def users(archive: Archive) -> list[UserInfo]:
    with archive.reading() as s:
        return [_info(u) for u in s.scalars(select(User).order_by(User.name))]


def user(archive: Archive, name: str) -> UserInfo:
    with archive.reading() as s:
        return _info(_get(s, name))


def has_admin(archive: Archive) -> bool:
    with archive.reading() as s:
        return (
            s.scalar(select(func.count(User.id)).where(User.role == Role.admin.name, User.active))
            or 0
        ) > 0


def set_user(
    archive: Archive,
    name: str,
    *,
    full_name: str | None = None,
    role: Role | None = None,
    clearance: AccessLevel | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> UserInfo:
    """Change a user; a change of role, clearance, password or active flag ends every session."""
    encoded = hash_password(password) if password is not None else None
    with archive.session() as s:
        u = _get(s, name)
        ends = False
        if full_name is not None:
            u.full_name = full_name.strip()[:256] or u.full_name
        if role is not None and role.name != u.role:
            if u.role == Role.admin.name and _last_admin(s, u):
                raise _keep_an_admin()
            u.role, ends = role.name, True
        if clearance is not None and int(clearance) != u.clearance:
            u.clearance, ends = int(clearance), True
        if active is not None and active != u.active:
            if not active and u.role == Role.admin.name and _last_admin(s, u):
                raise _keep_an_admin()
            u.active, ends = active, True
        if encoded is not None:
            u.password_hash, ends = encoded, True
        if ends:
            s.execute(delete(UserSession).where(UserSession.user_id == u.id))
        u.changed_at = now()
        s.flush()
        return _info(u)


def _last_admin(s: Session, u: User) -> bool:
    others = s.scalar(
        select(func.count(User.id)).where(
            User.role == Role.admin.name, User.active, User.id != u.id
        )
    )
    return not others


def _keep_an_admin() -> AccountError:
    return AccountError(
        vi="Đây là quản trị viên cuối cùng đang hoạt động: tạo quản trị viên khác trước.",
        en="This is the last active admin: make another admin first.",
    )


# -- signing in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    outcome: str
    """"ok", "failed" (unknown name, wrong password or disabled: one answer) or "throttled"."""
    user: UserInfo | None = None


def sign_in(archive: Archive, name: str, password: str, client: str, policy: Policy) -> SignIn:
    """Check a password, throttled per name and per client address.

    An unknown name costs one Argon2 check like a wrong password, and both answer "failed";
    over the limit the answer is "throttled" before any check, whoever the name is.
    """
    name = name.strip().lower()[:64]
    since = now() - dt.timedelta(minutes=policy.failure_window_minutes)
    with archive.reading() as s:
        by_name = s.scalar(
            select(func.count(LoginFailure.id)).where(
                LoginFailure.user_name == name, LoginFailure.at >= since
            )
        )
        by_client = s.scalar(
            select(func.count(LoginFailure.id)).where(
                LoginFailure.client == client[:64], LoginFailure.at >= since
            )
        )
        row = s.scalar(select(User).where(User.name == name))
        found = _info(row) if row is not None else None
        encoded = row.password_hash if row is not None else _dummy()
    if (by_name or 0) >= policy.failures_per_user or (by_client or 0) >= policy.failures_per_client:
        return SignIn("throttled")
    good = _verify(encoded, password)
    if found is None or not good or not found.active:
        with archive.session() as s:
            s.add(LoginFailure(user_name=name, client=client[:64], at=now()))
            # Failures older than a day count for nothing: keep the table small.
            s.execute(delete(LoginFailure).where(LoginFailure.at < now() - dt.timedelta(days=1)))
        return SignIn("failed")
    if _hasher.check_needs_rehash(encoded):
        with archive.session() as s:
            s.execute(
                update(User).where(User.id == found.id).values(password_hash=_hasher.hash(password))
            )
    with archive.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.user_name == name))
    return SignIn("ok", found)


# -- sessions -------------------------------------------------------------------------------

TOUCH_EVERY = dt.timedelta(seconds=30)
"""A session's last-seen time is written at most this often (not on every request)."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def open_session(
    archive: Archive,
    user_id: int,
    client: str,
    user_agent: str,
    replaces: str | None = None,
    policy: Policy | None = None,
) -> tuple[str, str]:
    """A new session (id, CSRF token); the session the browser had before, if any, ends, and
    so does every session past its timeouts (the table holds live sessions only)."""
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with archive.session() as s:
        if replaces:
            s.execute(delete(UserSession).where(UserSession.id_hash == _digest(replaces)))
        t = now()
        if policy is not None:
            s.execute(
                delete(UserSession).where(
                    or_(
                        UserSession.last_seen_at < t - dt.timedelta(minutes=policy.idle_minutes),
                        UserSession.created_at < t - dt.timedelta(hours=policy.absolute_hours),
                    )
                )
            )
        s.add(
            UserSession(
                id_hash=_digest(raw), user_id=user_id, csrf_token=csrf, created_at=t,
                last_seen_at=t, client=client[:64], user_agent=user_agent[:256],
            )
        )  # fmt: skip
    return raw, csrf


_SESSION_USER = (
    f"SELECT s.created_at, s.last_seen_at, s.csrf_token, {_USER_COLUMNS} FROM user_session s"
    " JOIN app_user u ON u.id = s.user_id WHERE s.id_hash = ?"
)


def session_principal(archive: Archive, raw: str, policy: Policy) -> Principal | None:
    """The user of a live session, or None (unknown, timed out, or the user disabled)."""
    if not raw or len(raw) > 128:
        return None
    key = _digest(raw)
    t = now()
    with archive.raw_reads() as reads:  # on every request: the driver's cursor
        rows = reads.rows(_SESSION_USER, (key,))
    if not rows:
        return None
    created_at, seen_at, csrf, *user = rows[0]
    info = _info_row(user)
    created, seen = utc(RawReads.when(created_at)), utc(RawReads.when(seen_at))
    idle = dt.timedelta(minutes=policy.idle_minutes)
    absolute = dt.timedelta(hours=policy.absolute_hours)
    if not info.active or t - seen > idle or t - created > absolute:
        end_session(archive, raw)
        return None
    if t - seen > TOUCH_EVERY:
        with archive.session() as s:
            s.execute(update(UserSession).where(UserSession.id_hash == key).values(last_seen_at=t))
    return Principal(info, "session", csrf, key)


def end_session(archive: Archive, raw: str) -> None:
    with archive.session() as s:
        s.execute(delete(UserSession).where(UserSession.id_hash == _digest(raw)))


def end_sessions(archive: Archive, user_name: str) -> int:
    """End every open session of the user at once (their next request is refused); returns
    how many there were. The account itself is left as it is."""
    with archive.session() as s:
        u = _get(s, user_name)
        gone = s.execute(delete(UserSession).where(UserSession.user_id == u.id))
        return int(getattr(gone, "rowcount", 0) or 0)


def csrf_matches(principal: Principal, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(principal.csrf_token, sent or "")


# -- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "sohoa_"


def add_token(archive: Archive, user_name: str, name: str, days: int) -> tuple[str, TokenInfo]:
    """A new token for the user, valid `days` days: (the token, shown only now; its record)."""
    if not 1 <= days <= 3660:
        raise AccountError(
            vi="Thời hạn token từ 1 đến 3660 ngày.", en="A token lasts 1 to 3660 days."
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with archive.session() as s:
        u = _get(s, user_name)
        t = now()
        tok = ApiToken(
            user_id=u.id, name=name.strip()[:128] or "token", token_hash=_digest(raw),
            created_at=t, expires_at=t + dt.timedelta(days=days),
        )  # fmt: skip
        s.add(tok)
        s.flush()
        return raw, _token_info(tok, u.name)


def _token_info(tok: ApiToken, user_name: str) -> TokenInfo:
    return TokenInfo(
        tok.id, user_name, tok.name, utc(tok.created_at), utc(tok.expires_at),
        utc(tok.revoked_at) if tok.revoked_at else None,
        utc(tok.last_used_at) if tok.last_used_at else None,
    )  # fmt: skip


def tokens(archive: Archive, user_name: str | None = None) -> list[TokenInfo]:
    with archive.reading() as s:
        q = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
        if user_name is not None:
            q = q.where(User.name == user_name)
        return [_token_info(tok, n) for tok, n in s.execute(q.order_by(ApiToken.id))]


def revoke_token(archive: Archive, token_id: int) -> TokenInfo:
    with archive.session() as s:
        row = s.execute(
            select(ApiToken, User.name)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        ).first()
        if row is None:
            raise NotFound(vi=f"Không có token số {token_id}.", en=f"No token {token_id}.")
        tok, user_name = row
        if tok.revoked_at is None:
            tok.revoked_at = now()
        s.flush()
        return _token_info(tok, user_name)


_TOKEN_USER = (
    f"SELECT t.expires_at, t.last_used_at, {_USER_COLUMNS} FROM api_token t"
    " JOIN app_user u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL"
)


def token_principal(archive: Archive, raw: str) -> Principal | None:
    """The user of a valid token (not revoked, not expired, user active), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    key = _digest(raw)
    t = now()
    with archive.raw_reads() as reads:
        rows = reads.rows(_TOKEN_USER, (key,))
    if not rows:
        return None
    expires_at, used_at, *user = rows[0]
    info, expires = _info_row(user), utc(RawReads.when(expires_at))
    used = None if used_at is None else RawReads.when(used_at)
    if not info.active or t >= expires:
        return None
    if used is None or t - utc(used) > TOUCH_EVERY:
        with archive.session() as s:
            s.execute(update(ApiToken).where(ApiToken.token_hash == key).values(last_used_at=t))
    return Principal(info, "token")


def sessions_of(archive: Archive, user_name: str) -> int:
    """How many sessions the user has open (for tests and `user list`)."""
    with archive.reading() as s:
        return int(
            s.scalar(
                select(func.count(UserSession.id_hash))
                .join(User, User.id == UserSession.user_id)
                .where(or_(User.name == user_name))
            )
            or 0
        )
