"""The admin's commands: `serve`, `user`, `token` and `audit` (registered on the `sohoa` group).

The local admin at the archive machine is trusted (as the CLI is): their changes are recorded
in the audit trail as `local:LOGIN`, like every read of the local CLI.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli_common import _print_json, archive_options, open_archive
from pipeline.cli_help import bilingual, command, group, option
from sohoa.access import AccessLevel, parse_level
from sohoa.errors import ExitCode, SohoaError
from sohoa.i18n import t

if TYPE_CHECKING:
    from archive_store import accounts
    from archive_store.accounts import Role

# The store is imported by each command that opens it, not when `sohoa` starts (cli_common).


def _note(archive: object, action: str, detail: dict) -> None:
    from archive_store import audit

    audit.record_local(archive, action, detail=detail)  # type: ignore[arg-type]


def _role(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Role | None:
    from archive_store.accounts import parse_role

    if value is None:
        return None
    try:
        return parse_role(value)
    except SohoaError as exc:
        raise click.BadParameter(exc.message()) from exc


def _level(_ctx: click.Context, _param: click.Parameter, value: str | None) -> AccessLevel | None:
    if value is None:
        return None
    try:
        return parse_level(value)
    except SohoaError as exc:
        raise click.BadParameter(exc.message()) from exc


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(
        click.prompt(t("Mật khẩu", "Password"), hide_input=True, confirmation_prompt=True, err=True)
    )


ROLE = bilingual("Vai trò: researcher, clerk hoặc admin.", "Role: researcher, clerk or admin.")
STDIN = bilingual("Đọc mật khẩu từ đầu vào chuẩn.", "Read the password from standard input.")


@command()
@option("--host", default="127.0.0.1", show_default=True,
        help=bilingual("Địa chỉ lắng nghe.", "Address to listen on."))  # fmt: skip
@option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
        help=bilingual("Cổng lắng nghe.", "Port to listen on."))  # fmt: skip
@option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
        help=bilingual("Số tiến trình máy chủ (dùng chung kho).",
                       "Server processes (they share the store)."))  # fmt: skip
@option(
    "--origin",
    "origins",
    multiple=True,
    help=bilingual(
        "Địa chỉ công khai sau proxy TLS (https://kho.example.vn); lặp lại được.",
        "Public origin behind the TLS proxy (https://kho.example.vn); repeatable.",
    ),
)
@option("--idle-minutes", type=click.FloatRange(1, 24 * 60), default=30.0, show_default=True,
        help=bilingual("Phiên kết thúc sau chừng này phút không dùng.",
                       "A session ends after this long unused."))  # fmt: skip
@option("--max-hours", type=click.FloatRange(0.1, 72), default=8.0, show_default=True,
        help=bilingual("Phiên kết thúc sau chừng này giờ kể từ khi đăng nhập, dù có dùng.",
                       "A session ends this long after sign-in, used or not."))  # fmt: skip
@option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help=bilingual(
        "Các proxy được tin tiêu đề X-Forwarded-For/-Proto.",
        "Proxies whose X-Forwarded-For/-Proto are believed.",
    ),
)
@option("--access-log", is_flag=True,
        help=bilingual("Ghi nhật ký mọi yêu cầu (kể cả câu tìm).",
                       "Log every request (queries included)."))  # fmt: skip
@archive_options
def serve(
    archive_dir: Path, as_json: bool, host: str, port: int, workers: int,
    origins: tuple[str, ...], idle_minutes: float, max_hours: float,
    forwarded_allow_ips: str, access_log: bool,
) -> None:  # fmt: skip
    """Phục vụ kho cho người đã đăng nhập: API, IIIF, phiên, nhật ký truy cập.

    Chạy sau một reverse proxy TLS (README, "Server"). Máy chủ không chạy khi chưa có quản trị
    viên nào đang hoạt động.

    Ví dụ: sohoa serve --port 8000 --origin https://kho.example.vn

    ---
    Serve the archive to signed-in users: the API, IIIF, sessions, audit.

    Run it behind a TLS reverse proxy (README, "Server"). It refuses to start without an
    active admin user.

    Example: sohoa serve --port 8000 --origin https://kho.example.vn
    """
    from archive_store.accounts import Policy
    from web.server import require_admin
    from web.server import serve as run
    from web.settings import ServerSettings

    archive = open_archive(archive_dir)
    require_admin(archive)
    settings = ServerSettings(
        archive_dir=archive.root, host=host, port=port, origins=origins,
        policy=Policy(idle_minutes=idle_minutes, absolute_hours=max_hours),
    )  # fmt: skip
    click.echo(t(f"sohoa phục vụ {archive.root} tại http://{host}:{port}",
                 f"sohoa serving {archive.root} at http://{host}:{port}"), err=True)  # fmt: skip
    run(archive, settings, workers=workers, forwarded_allow_ips=forwarded_allow_ips,
        access_log=access_log)  # fmt: skip


@group()
def user() -> None:
    """Người dùng của máy chủ: add (thêm), list, set (đổi), disable (khóa), passwd.

    Ví dụ: sohoa user add lan --full-name "Nguyễn Thị Lan" --role clerk --clearance mat

    ---
    Users of the server: add, list, set, disable, passwd.

    Example: sohoa user add lan --full-name "Nguyễn Thị Lan" --role clerk --clearance mat
    """


@user.command("add")
@click.argument("name")
@option("--full-name", default="", help=bilingual("Họ và tên.", "Full name (họ và tên)."))
@option("--role", required=True, callback=_role, help=ROLE)
@option("--clearance", default="cong-khai", callback=_level,
        help=bilingual("Mức được xem: cong-khai (mặc định), mat, toi-mat, tuyet-mat.",
                       "Clearance: cong-khai (default), mat, toi-mat, tuyet-mat."))  # fmt: skip
@option("--password-stdin", is_flag=True, help=STDIN)
@archive_options
def user_add(
    archive_dir: Path, as_json: bool, name: str, full_name: str, role: Role,
    clearance: AccessLevel, password_stdin: bool,
) -> None:  # fmt: skip
    """Thêm một người dùng; mật khẩu được hỏi (hoặc đọc từ đầu vào chuẩn).

    Ví dụ: echo 'mat-khau-rat-dai' | sohoa user add an --role researcher --password-stdin

    ---
    Add a user; the password is asked for (or read from standard input).

    Example: echo 'mat-khau-rat-dai' | sohoa user add an --role researcher --password-stdin
    """
    from archive_store import accounts

    archive = open_archive(archive_dir, create=True)
    info = accounts.add_user(archive, name, full_name, role, clearance, _password(password_stdin))
    _note(archive, "user_add", {"name": name, "role": role.name, "clearance": clearance.slug})
    _show_user(info, as_json)


def _show_user(info: accounts.UserInfo, as_json: bool) -> None:
    if as_json:
        _print_json(info.as_json())
        return
    state = t("hoạt động", "active") if info.active else t("đã khóa", "disabled")
    click.echo(f"{info.name}  {info.full_name}  {info.role.name}  {info.clearance.slug}  {state}")


@user.command("list")
@archive_options
def user_list(archive_dir: Path, as_json: bool) -> None:
    """Liệt kê người dùng.

    Ví dụ: sohoa user list --json

    ---
    List the users.

    Example: sohoa user list --json
    """
    from archive_store import accounts

    found = accounts.users(open_archive(archive_dir))
    if as_json:
        _print_json([u.as_json() for u in found])
        return
    for info in found:
        _show_user(info, False)


@user.command("set")
@click.argument("name")
@option("--full-name", default=None, help=bilingual("Họ và tên mới.", "The new full name."))
@option("--role", default=None, callback=_role, help=ROLE)
@option("--clearance", default=None, callback=_level,
        help=bilingual("Mức được xem mới: cong-khai, mat, toi-mat, tuyet-mat.",
                       "The new clearance: cong-khai, mat, toi-mat, tuyet-mat."))  # fmt: skip
@option("--active/--inactive", default=None,
        help=bilingual("Mở hoặc khóa người dùng.", "Enable or disable the user."))  # fmt: skip
@archive_options
def user_set(
    archive_dir: Path, as_json: bool, name: str, full_name: str | None, role: Role | None,
    clearance: AccessLevel | None, active: bool | None,
) -> None:  # fmt: skip
    """Đổi thông tin một người dùng; đổi vai trò, mức được xem hay trạng thái thì mọi phiên
    của họ kết thúc.

    Ví dụ: sohoa user set lan --clearance toi-mat

    ---
    Change a user; a change of role, clearance or active ends all their sessions.

    Example: sohoa user set lan --clearance toi-mat
    """
    from archive_store import accounts

    archive = open_archive(archive_dir)
    info = accounts.set_user(
        archive, name, full_name=full_name, role=role, clearance=clearance, active=active
    )
    changed = {"full_name": full_name, "role": role, "clearance": clearance, "active": active}
    _note(
        archive,
        "user_set",
        {"name": name, "changed": sorted(k for k, v in changed.items() if v is not None)},
    )
    _show_user(info, as_json)


@user.command("disable")
@click.argument("name")
@archive_options
def user_disable(archive_dir: Path, as_json: bool, name: str) -> None:
    """Khóa một người dùng: mọi phiên và token của họ thôi hiệu lực ngay.

    Ví dụ: sohoa user disable an

    ---
    Disable a user: every session and token of theirs stops working at once.

    Example: sohoa user disable an
    """
    from archive_store import accounts

    archive = open_archive(archive_dir)
    info = accounts.set_user(archive, name, active=False)
    _note(archive, "user_set", {"name": name, "changed": ["active"]})
    _show_user(info, as_json)


@user.command("passwd")
@click.argument("name")
@option("--password-stdin", is_flag=True, help=STDIN)
@archive_options
def user_passwd(archive_dir: Path, as_json: bool, name: str, password_stdin: bool) -> None:
    """Đặt mật khẩu của một người dùng; các phiên của họ kết thúc.

    Ví dụ: sohoa user passwd lan

    ---
    Set a user's password; their sessions end.

    Example: sohoa user passwd lan
    """
    from archive_store import accounts

    archive = open_archive(archive_dir)
    info = accounts.set_user(archive, name, password=_password(password_stdin))
    _note(archive, "user_set", {"name": name, "changed": ["password"]})
    _show_user(info, as_json)


@group()
def token() -> None:
    """Token API cho các hệ thống máy (LGSP, Trục liên thông): add (tạo), list, revoke (thu hồi).

    Ví dụ: sohoa token add lgsp-bot --name lgsp --days 90

    ---
    API tokens for machine clients (LGSP, Trục liên thông): add, list, revoke.

    Example: sohoa token add lgsp-bot --name lgsp --days 90
    """


@token.command("add")
@click.argument("user_name")
@option(
    "--name", default="token", help=bilingual("Token dùng vào việc gì.", "What the token is for.")
)
@option("--days", type=click.IntRange(1, 3660), default=90, show_default=True,
        help=bilingual("Số ngày token còn hiệu lực.", "Days until the token expires."))  # fmt: skip
@archive_options
def token_add(archive_dir: Path, as_json: bool, user_name: str, name: str, days: int) -> None:
    """Tạo token cho một người dùng; token chỉ hiện lần này (kho chỉ giữ mã băm của nó).

    Ví dụ: sohoa token add lgsp-bot --name lgsp --days 90

    ---
    Make a token for a user; it is shown this once (the store keeps only its hash).

    Example: sohoa token add lgsp-bot --name lgsp --days 90
    """
    from archive_store import accounts

    archive = open_archive(archive_dir)
    raw, info = accounts.add_token(archive, user_name, name, days)
    _note(archive, "token_add", {"id": info.id, "user": user_name, "name": info.name})
    if as_json:
        _print_json({**info.as_json(), "token": raw})
        return
    click.echo(raw)
    click.echo(
        t(f"Token số {info.id} của {user_name}, hết hạn {accounts.iso(info.expires_at)}. "
          "Chép ngay: nó không được hiện lại.",
          f"Token {info.id} of {user_name}, expires {accounts.iso(info.expires_at)}. "
          "Copy it now: it is not shown again."),
        err=True,
    )  # fmt: skip


@token.command("list")
@option("--user", "user_name", default=None,
        help=bilingual("Chỉ token của người này.", "Only this user's tokens."))  # fmt: skip
@archive_options
def token_list(archive_dir: Path, as_json: bool, user_name: str | None) -> None:
    """Liệt kê các token (không bao giờ hiện chính token).

    Ví dụ: sohoa token list --user lgsp-bot

    ---
    List tokens (never the tokens themselves).

    Example: sohoa token list --user lgsp-bot
    """
    from archive_store import accounts

    found = accounts.tokens(open_archive(archive_dir), user_name)
    if as_json:
        _print_json([x.as_json() for x in found])
        return
    for x in found:
        state = (
            t("đã thu hồi", "revoked")
            if x.revoked_at
            else t("hết hạn ", "expires ") + str(accounts.iso(x.expires_at))
        )
        click.echo(f"{x.id}  {x.user_name}  {x.name}  {state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@archive_options
def token_revoke(archive_dir: Path, as_json: bool, token_id: int) -> None:
    """Thu hồi một token ngay lập tức.

    Ví dụ: sohoa token revoke 3

    ---
    Revoke a token at once.

    Example: sohoa token revoke 3
    """
    from archive_store import accounts

    archive = open_archive(archive_dir)
    info = accounts.revoke_token(archive, token_id)
    _note(archive, "token_revoke", {"id": token_id, "user": info.user_name})
    if as_json:
        _print_json(info.as_json())
    else:
        click.echo(t(f"Đã thu hồi token {token_id}.", f"Token {token_id} revoked."))


@group("audit")
def audit_group() -> None:
    """Nhật ký truy cập: verify (kiểm tra chuỗi băm), show (xem bản ghi).

    Ví dụ: sohoa audit show --user lan --since 2026-11-01

    ---
    The audit trail: verify its hash chain, show records.

    Example: sohoa audit show --user lan --since 2026-11-01
    """


@audit_group.command("verify")
@archive_options
def audit_verify(archive_dir: Path, as_json: bool) -> None:
    """Kiểm tra chuỗi băm: bản ghi bị sửa, xóa hay thêm đều bị phát hiện (mã thoát 5).

    Ví dụ: sohoa audit verify

    ---
    Check the hash chain: an edited, deleted or added record is found (exit code 5).

    Example: sohoa audit verify
    """
    from archive_store import audit

    check = audit.verify(open_archive(archive_dir))
    if as_json:
        _print_json(check.as_json())
    elif check.ok:
        click.echo(t(f"Nhật ký nguyên vẹn: {check.checked} bản ghi.",
                     f"Audit trail intact: {check.checked} records."))  # fmt: skip
    else:
        at = check.bad_seq
        click.echo(t(f"Nhật ký bị sửa ở bản ghi {at}: {check.problem}.",
                     f"Audit trail altered at record {at}: {check.problem}."))  # fmt: skip
    if not check.ok:
        sys.exit(int(ExitCode.archive_error))


@audit_group.command("show")
@option("--user", "user_name", default=None,
        help=bilingual("Chỉ bản ghi của người này (local:TÊN cho dòng lệnh).",
                       "Only this user's records (local:NAME for the command line)."))  # fmt: skip
@option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
        help=bilingual("Từ ngày YYYY-MM-DD (UTC).", "From the day YYYY-MM-DD (UTC)."))  # fmt: skip
@option("--document", "document_id", type=int, default=None,
        help=bilingual("Chỉ văn bản này.", "Only this document."))  # fmt: skip
@option("--limit", type=click.IntRange(1), default=1000, show_default=True,
        help=bilingual("Số bản ghi mới nhất hiện ra.", "The newest records to show."))  # fmt: skip
@archive_options
def audit_show(
    archive_dir: Path, as_json: bool, user_name: str | None, since: dt.datetime | None,
    document_id: int | None, limit: int,
) -> None:  # fmt: skip
    """Xem các bản ghi nhật ký, cũ nhất trước.

    Ví dụ: sohoa audit show --document 3 --json

    ---
    Show audit records, oldest first.

    Example: sohoa audit show --document 3 --json
    """
    from archive_store import accounts, audit

    start = since.replace(tzinfo=dt.UTC) if since else None
    found = list(audit.entries(open_archive(archive_dir), user=user_name, since=start,
                               document_id=document_id, limit=limit))  # fmt: skip
    if as_json:
        _print_json([e.as_json() for e in found])
        return
    for e in found:
        doc = f" vb {e.document_id}" if e.document_id is not None else ""
        extra = f" {e.detail}" if e.detail else ""
        click.echo(f"{e.seq} {accounts.iso(e.at)} {e.user} {e.action} {e.outcome}{doc} "
                   f"{e.client}{extra}")  # fmt: skip


COMMANDS: tuple[click.Command, ...] = (serve, user, token, audit_group)
