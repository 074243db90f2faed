"""The server's door, tested against the running app (real Uvicorn on loopback): every route
refused without a session or token, hidden documents answered as absent and recorded, the
secret phrase never sent, CSRF, session rotation and ending, throttling, the audit chain."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute
from sqlalchemy import delete, text

from archive_store import accounts, audit
from archive_store.account_models import LoginFailure
from archive_store.accounts import Role
from archive_store.db import Archive
from pipeline.cli import main
from sohoa.access import AccessLevel
from tests.web_archive import PASSWORD, SECRET, Built, Served, build
from web.app import every_route
from web.pages import is_page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[Served]:
    with Served(built.root) as s:
        yield s


@pytest.fixture(autouse=True)
def no_failures_left(served: Served) -> Iterator[None]:
    """Each test starts with no failed sign-ins counted (they share one client address)."""
    yield
    with served.app.state.sohoa.archive.session() as s:
        s.execute(delete(LoginFailure))


def archive_of(served: Served) -> Archive:
    archive: Archive = served.app.state.sohoa.archive
    return archive


def routes(served: Served) -> list[tuple[str, str]]:
    """(method, path with every parameter 1) of every route the application has."""
    out = []
    for path, methods, _ in every_route(served.app):
        for method in sorted(methods - {"HEAD"}):
            out.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return out


def test_every_route_is_refused_without_a_session_or_token(served: Served) -> None:
    found = routes(served)
    assert len(found) >= 20, found
    with served.client() as c:
        for method, path in found:
            if (method, path) == ("POST", "/api/v1/session") or path == "/dang-nhap":
                continue  # signing in is the door itself
            for headers in ({}, {"authorization": "Bearer sohoa_forged"},
                            {"cookie": "sohoa_session=forged"}):  # fmt: skip
                r = c.request(method, path, headers=headers, json={})
                if is_page(path):  # a browser page: to the sign-in form, and back afterwards
                    assert r.status_code == 303, (method, path, headers, r.status_code, r.text)
                    assert r.headers["location"].startswith("/dang-nhap?next="), r.headers
                else:
                    assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
                assert SECRET not in r.text


def test_every_api_route_checks_the_user(served: Served) -> None:
    """Each route of the app depends on the principal (so a new route cannot skip it)."""
    for path, _, route in every_route(served.app):
        if isinstance(route, APIRoute) and path not in ("/api/v1/session", "/dang-nhap"):
            names = {d.call.__name__ for d in _all_dependencies(route.dependant)}
            assert ("page_principal" if is_page(path) else "principal") in names, path


def _all_dependencies(dependant: object) -> list:
    out = []
    for d in getattr(dependant, "dependencies", []):
        out.append(d)
        out.extend(_all_dependencies(d))
    return out


SECRET_PATHS = [
    "/api/v1/documents/{id}",
    "/api/v1/documents/{id}/pages",
    "/api/v1/documents/{id}/pages/1",
    "/api/v1/documents/{id}/pages/1/words",
    "/api/v1/documents/{id}/pages/1/image",
    "/api/v1/documents/{id}/pdf",
    "/api/v1/documents/{id}/export",
    "/iiif/{id}/manifest",
    "/iiif/{id}/search?q=kiem",
    "/iiif/{id}/search1?q=kiem",
]


def test_a_public_user_asking_for_a_secret_document_gets_404_and_a_record(
    served: Served, built: Built
) -> None:
    before = max([e.seq for e in audit.entries(archive_of(served))] or [0])
    with served.signed_in("dan") as c:
        for path in SECRET_PATHS:
            hidden = c.get(path.format(id=built.secret))
            absent = c.get(path.format(id=999_999))
            assert hidden.status_code == 404, (path, hidden.text)
            assert absent.status_code == 404
            # The same answer as for an id that does not exist, but for the id itself.
            assert hidden.json()["error"].replace(str(built.secret), "N") == absent.json()[
                "error"
            ].replace("999999", "N")
        r = c.post(f"/api/v1/documents/{built.secret}/corrections", json={"changes": {"so": "1"}})
        assert r.status_code == 403  # a researcher may not correct at all
    with served.signed_in("vanthu") as c:  # a clerk without the clearance
        r = c.post(f"/api/v1/documents/{built.secret}/corrections", json={"changes": {"so": "1"}})
        assert r.status_code == 404
    denied = [
        e for e in audit.entries(archive_of(served), document_id=built.secret)
        if e.seq > before and e.outcome == "denied"
    ]  # fmt: skip
    assert {e.user for e in denied} == {"dan", "vanthu"}
    assert {e.action for e in denied} >= {"document", "pages", "page", "words", "page_image",
                                          "pdf", "export", "iiif_manifest", "iiif_search",
                                          "correction"}  # fmt: skip
    assert all(e.client == "127.0.0.1" for e in denied)


def test_the_secret_phrase_reaches_no_response_to_a_public_user(
    served: Served, built: Built
) -> None:
    bodies: list[str] = []
    with served.signed_in("dan") as c, served.signed_in("vanthu") as clerk:
        for q in (SECRET, "bach dang giang", '"Bạch Đằng"', "~bach", "công tác kiểm tra",
                  "kiem tra", "do_mat:mat", "MẬT", "loai:Kế", "Bạch OR Đằng", "(Bạch"):  # fmt: skip
            r = c.get("/api/v1/search", params={"q": q, "facets": "true", "limit": 100})
            bodies.append(_without_echo(r.text, q))
            if r.status_code == 200:
                assert built.secret not in [h["doc_id"] for h in r.json()["hits"]]
        bodies.append(c.get("/api/v1/openapi.json").text)
        r = c.get(f"/iiif/{built.public}/search", params={"q": "Bạch"})
        assert r.status_code == 200 and r.json()["items"] == []
        bodies.append(_without_echo(r.text, "Bạch"))
        bodies.append(clerk.get("/api/v1/review").text)
        bodies.append(clerk.get("/api/v1/batches").text)
        for path in SECRET_PATHS:
            bodies.append(c.get(path.format(id=built.secret)).text)
    joined = "\n".join(bodies)
    for form in (SECRET, json.dumps(SECRET)[1:-1], "Bạch", "Đằng", "Bach Dang"):
        assert form not in joined
    # The public document is found, with its count: the filter did not hide everything.
    with served.signed_in("dan") as c:
        r = c.get("/api/v1/search", params={"q": "công tác kiểm tra"}).json()
        assert r["total"] == 1 and r["hits"][0]["doc_id"] == built.public
    with served.signed_in("mat") as c:
        r = c.get("/api/v1/search", params={"q": "Bạch Đằng"}).json()
        assert [h["doc_id"] for h in r["hits"]] == [built.secret]


def _without_echo(body: str, query: str) -> str:
    """The body less the user's own query echoed back (the answer's "query", its URL)."""
    from urllib.parse import quote

    for form in (json.dumps(query, ensure_ascii=False)[1:-1], quote(query), query):
        body = body.replace(form, "")
    return body


def test_csrf_missing_token_or_foreign_origin_is_refused(served: Served) -> None:
    with served.signed_in("admin") as c:
        change = {"full_name": "Trần Văn Dân"}
        token = c.headers.pop("x-csrf-token")
        assert c.patch("/api/v1/users/dan", json=change).status_code == 403
        assert c.patch("/api/v1/users/dan", json=change,
                       headers={"x-csrf-token": "wrong"}).status_code == 403  # fmt: skip
        c.headers["x-csrf-token"] = token
        assert c.patch("/api/v1/users/dan", json=change,
                       headers={"origin": "https://evil.example"}).status_code == 403  # fmt: skip
        del c.headers["origin"]
        assert c.patch("/api/v1/users/dan", json=change).status_code == 403
        c.headers["origin"] = served.origin
        assert c.patch("/api/v1/users/dan", json=change).status_code == 200
        # GET needs no token; reading does not change anything.
        assert c.get("/api/v1/users", headers={"x-csrf-token": ""}).status_code == 200
    with served.client() as c:
        r = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD},
                   headers={"origin": "https://evil.example"})  # fmt: skip
        assert r.status_code == 403
    assert any(
        e.action == "csrf" and e.outcome == "denied" for e in audit.entries(archive_of(served))
    )


def test_the_session_id_changes_at_sign_in_and_the_cookie_is_locked_down(served: Served) -> None:
    with served.client() as c:
        first = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD})
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Secure" not in cookie  # plain http on loopback only
        old = c.cookies["sohoa_session"]
        assert len(old) >= 32  # 256 random bits, url-safe
        second = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD})
        new = c.cookies["sohoa_session"]
        assert second.status_code == 200 and new != old
        assert second.json()["csrf_token"] != first.json()["csrf_token"]
        assert c.get("/api/v1/session").json()["name"] == "dan"
    with served.client() as other:
        other.cookies.set("sohoa_session", old)
        assert other.get("/api/v1/session").status_code == 401
    # The store keeps only hashes of the ids.
    with archive_of(served).reading() as s:
        stored = {r[0] for r in s.execute(text("select id_hash from user_session"))}
    assert new not in stored and old not in stored


def test_a_secure_cookie_off_loopback(tmp_path: Path, built: Built, served: Served) -> None:
    from web.settings import ServerSettings

    # Behind the TLS proxy (which says so in X-Forwarded-Proto): the cookie is Secure.
    with served.client() as c:
        r = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD},
                   headers={"x-forwarded-proto": "https"})  # fmt: skip
        assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]

    assert not ServerSettings(archive_dir=tmp_path, host="0.0.0.0").loopback
    assert ServerSettings(archive_dir=tmp_path, host="::1").loopback


def test_a_disabled_user_s_open_session_is_refused_at_once(served: Served) -> None:
    archive = archive_of(served)
    accounts.add_user(archive, "tam", "Tâm", Role.researcher, AccessLevel.mat, PASSWORD)
    raw, _ = accounts.add_token(archive, "tam", "bot", 30)
    with served.signed_in("tam") as c, served.signed_in("admin") as admin:
        assert c.get("/api/v1/search", params={"q": "kiem tra"}).status_code == 200
        bearer = {"authorization": f"Bearer {raw}"}
        assert c.get("/api/v1/session", headers=bearer).status_code == 200
        assert admin.patch("/api/v1/users/tam", json={"active": False}).status_code == 200
        assert c.get("/api/v1/search", params={"q": "kiem tra"}).status_code == 401
        assert httpx.get(served.url + "/api/v1/session", headers=bearer).status_code == 401
        assert accounts.sessions_of(archive, "tam") == 0
        r = c.post("/api/v1/session", json={"name": "tam", "password": PASSWORD})
        assert r.status_code == 401  # a disabled user answers like a wrong password


@pytest.mark.parametrize("change", [{"clearance": "cong-khai"}, {"role": "clerk"},
                                    {"password": "mat-khau-moi-123"}])  # fmt: skip
def test_a_change_of_clearance_role_or_password_ends_every_session(
    served: Served, change: dict
) -> None:
    archive = archive_of(served)
    name = f"u{abs(hash(json.dumps(change))) % 10**6}"
    accounts.add_user(archive, name, name, Role.researcher, AccessLevel.mat, PASSWORD)
    with served.signed_in(name) as one, served.signed_in(name) as two:
        with served.signed_in("admin") as admin:
            assert admin.patch(f"/api/v1/users/{name}", json=change).status_code == 200
        assert one.get("/api/v1/session").status_code == 401
        assert two.get("/api/v1/session").status_code == 401


def test_the_sixth_wrong_password_is_throttled_even_with_the_right_one(served: Served) -> None:
    archive = archive_of(served)
    accounts.add_user(archive, "hoa", "Hoa", Role.researcher, AccessLevel.cong_khai, PASSWORD)
    with served.client() as c:
        for _ in range(5):
            r = c.post("/api/v1/session", json={"name": "hoa", "password": "sai-mat-khau-0"})
            assert r.status_code == 401
        r = c.post("/api/v1/session", json={"name": "hoa", "password": PASSWORD})
        assert r.status_code == 429 and "sohoa_session" not in r.headers.get("set-cookie", "")
        # An unknown name is throttled the same way.
        for _ in range(5):
            c.post("/api/v1/session", json={"name": "khong-co", "password": "sai-mat-khau-0"})
        assert c.post("/api/v1/session",
                      json={"name": "khong-co", "password": "x"}).status_code == 429  # fmt: skip
    outcomes = [e.outcome for e in audit.entries(archive, user="hoa") if e.action == "sign_in"]
    assert outcomes[-6:] == ["failed"] * 5 + ["throttled"]


def test_an_unknown_name_answers_as_a_wrong_password_in_words_and_time(served: Served) -> None:
    def attempt(c: httpx.Client, name: str) -> tuple[float, str]:
        start = time.perf_counter()
        r = c.post("/api/v1/session", json={"name": name, "password": "sai-mat-khau-0"})
        return time.perf_counter() - start, r.text

    wrong, unknown = [], []
    with served.client() as c:
        for n in range(4):  # interleaved, so the machine's other load falls on both alike
            wrong.append(attempt(c, "thuky"))
            unknown.append(attempt(c, f"khong-co-{n}"))
    assert {b for _, b in wrong} == {b for _, b in unknown}
    ratio = statistics.median(t for t, _ in unknown) / statistics.median(t for t, _ in wrong)
    assert 0.4 < ratio < 2.5, ratio  # both pay one Argon2id check (~50-300 ms here)


def test_the_audit_chain_finds_a_row_changed_by_hand(served: Served, built: Built) -> None:
    archive = archive_of(served)
    with served.signed_in("dan") as c:
        c.get(f"/api/v1/documents/{built.public}")
    runner = CliRunner()
    where = ["--archive", str(built.root)]
    ok = runner.invoke(main, ["audit", "verify", *where])
    assert ok.exit_code == 0, ok.output
    with archive.session() as s:
        seq = s.execute(text(
            "select seq from audit_record where action = 'document' and user_name = 'dan' "
            "order by seq desc limit 1")).scalar_one()  # fmt: skip
        s.execute(text("update audit_record set user_name = 'mat' where seq = :s"), {"s": seq})
    bad = runner.invoke(main, ["audit", "verify", *where, "--json"])
    assert bad.exit_code == 5
    assert json.loads(bad.output)["bad_seq"] == seq
    with archive.session() as s:
        s.execute(text("update audit_record set user_name = 'dan' where seq = :s"), {"s": seq})
    assert runner.invoke(main, ["audit", "verify", *where]).exit_code == 0
    with archive.session() as s:
        s.execute(text("delete from audit_record where seq = :s"), {"s": seq})
    gone = runner.invoke(main, ["audit", "verify", *where, "--json"])
    assert gone.exit_code == 5 and json.loads(gone.output)["bad_seq"] == seq
