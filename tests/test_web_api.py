"""The REST API and IIIF against the running app, bad input, and a real `sohoa serve`."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from archive_store import audit, store
from pipeline.cli import main
from tests.web_archive import PASSWORD, SECRET, Built, Served, build
from web.images import copy_path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("web-api"))


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[Served]:
    with Served(built.root) as s:
        yield s


def test_search_document_pages_and_words(served: Served, built: Built) -> None:
    with served.signed_in("mat") as c:
        r = c.get("/api/v1/search", params={"q": "kiem tra", "sort": "-ngay"})
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 2 and {h["doc_id"] for h in body["hits"]} == {1, 2}
        assert "facets" in body and body["hits"][0]["pages"][0]["source_file"]
        doc = c.get(f"/api/v1/documents/{built.secret}").json()
        assert doc["access_level"] == "mat" and SECRET in doc["title"]
        assert doc["metadata"]["trich_yeu"]["needs_review"] is True
        pages = c.get(f"/api/v1/documents/{built.secret}/pages").json()
        assert pages == [{"page": 1, "source_file": "mat.png", "source_page": 1,
                          "mean_confidence": 95.0, "needs_review": False}]  # fmt: skip
        page = c.get(f"/api/v1/documents/{built.secret}/pages/1").json()
        assert page["text"].startswith("MẬT") and page["width"] == 1240
        words = c.get(f"/api/v1/documents/{built.secret}/pages/1/words").json()
        assert words == page["words"] and words[0]["text"] == "MẬT"
        assert {"left", "top", "width", "height", "conf", "line"} <= set(words[0])
        missing = c.get(f"/api/v1/documents/{built.secret}/pages/2")
        assert missing.status_code == 404 and "1" in missing.json()["error"]


def test_the_page_image_is_a_cached_use_copy_never_the_original(
    served: Served, built: Built
) -> None:
    archive = served.app.state.sohoa.archive
    record = store.document(archive, built.public)
    original = archive.blobs.path_for(record.pages[0].sha256)
    cached = copy_path(archive, record.pages[0].sha256, 1)
    cached.unlink(missing_ok=True)
    with served.signed_in("dan") as c:
        r = c.get(f"/api/v1/documents/{built.public}/pages/1/image")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"] == "no-store"
        assert r.content != original.read_bytes()
        img = Image.open(io.BytesIO(r.content))
        assert img.format == "JPEG" and img.size == (1240, 540)  # within the reading edge
        assert cached.is_file() and cached.parent == original.parent
        made = cached.stat().st_mtime_ns
        again = c.get(f"/api/v1/documents/{built.public}/pages/1/image")
        assert again.content == r.content and cached.stat().st_mtime_ns == made
    assert any(e.action == "page_image" and e.user == "dan"
               for e in audit.entries(archive, document_id=built.public))  # fmt: skip


def test_pdf_and_export(served: Served, built: Built) -> None:
    with served.signed_in("dan") as c:
        pdf = c.get(f"/api/v1/documents/{built.public}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "van-ban-1.pdf" in pdf.headers["content-disposition"]
        row = c.get(f"/api/v1/documents/{built.public}/export").json()
        assert row["DocCode"] == "VB-000001" and row["Unverified"] == "Subject"


def test_iiif_manifest_and_content_search(served: Served, built: Built) -> None:
    with served.signed_in("dan") as c:
        m = c.get(f"/iiif/{built.public}/manifest")
        assert m.headers["content-type"].startswith("application/ld+json")
        body = m.json()
        assert body["type"] == "Manifest" and len(body["items"]) == 1
        assert body["rendering"][0]["id"].endswith(f"/api/v1/documents/{built.public}/pdf")
        canvas = body["items"][0]
        assert (canvas["width"], canvas["height"]) == (1240, 540)
        image = canvas["items"][0]["items"][0]["body"]
        assert image["id"].endswith(f"/api/v1/documents/{built.public}/pages/1/image")
        assert c.get(image["id"].replace(served.url, "")).status_code == 200
        s2 = c.get(f"/iiif/{built.public}/search", params={"q": "kiem tra"}).json()
        assert s2["type"] == "AnnotationPage"
        hits = {a["body"]["value"]: a["target"] for a in s2["items"]}
        assert set(hits) == {"kiểm", "tra"}
        words = c.get(f"/api/v1/documents/{built.public}/pages/1/words").json()
        kiem = next(w for w in words if w["text"] == "kiểm")
        where = f"{kiem['left']},{kiem['top']},{kiem['width']},{kiem['height']}"
        assert hits["kiểm"] == f"{canvas['id']}#xywh={where}"
        # Typed with diacritics: only that spelling.
        assert c.get(f"/iiif/{built.public}/search", params={"q": "kiêm"}).json()["items"] == []
        s1 = c.get(f"/iiif/{built.public}/search1", params={"q": "kiểm"}).json()
        assert s1["@type"] == "sc:AnnotationList" and len(s1["resources"]) == 1


def test_clerks_batches_review_and_corrections(served: Served, built: Built) -> None:
    with served.signed_in("thuky") as c:
        batches = c.get("/api/v1/batches").json()
        assert batches[0]["pages_total"] == 2 and batches[0]["done"] == 1.0
        assert batches[0]["name"] == "hop-1"  # not the archive machine's path
        assert c.get("/api/v1/batches/1").json()["documents"] == 2
        assert c.get("/api/v1/batches/99").status_code == 404
        review = c.get("/api/v1/review").json()
        assert {f["doc_id"] for f in review["fields"]} == {built.public, built.secret}
        r = c.post(f"/api/v1/documents/{built.public}/corrections",
                   json={"changes": {"trich_yeu": "Về công tác kiểm tra năm 2023"}})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["metadata"]["trich_yeu"]["corrected"] is True
        bad = c.post(f"/api/v1/documents/{built.public}/corrections",
                     json={"changes": {"ngay_ban_hanh": "28/01/2022"}})  # fmt: skip
        assert bad.status_code == 400 and ("YYYY-MM-DD" in bad.text or "NĂM" in bad.text)
        lower = c.post(f"/api/v1/documents/{built.secret}/corrections",
                       json={"changes": {"do_mat": ""}})  # fmt: skip
        assert lower.status_code == 403  # only an admin lowers a secrecy mark
        raise_ = c.post(f"/api/v1/documents/{built.public}/corrections",
                        json={"changes": {"do_mat": "Mật"}})  # fmt: skip
        assert raise_.status_code == 200
    with served.signed_in("dan") as c:
        # Marked Mật a moment ago: gone for the public user at once.
        assert c.get(f"/api/v1/documents/{built.public}").status_code == 404
        assert c.get("/api/v1/search", params={"q": "kiem tra"}).json()["total"] == 0
        assert c.get("/api/v1/batches").status_code == 403
    with served.signed_in("admin") as c:
        r = c.post(f"/api/v1/documents/{built.public}/corrections",
                   json={"changes": {"do_mat": ""}})  # fmt: skip
        assert r.status_code == 200


def test_admins_users_and_audit(served: Served) -> None:
    with served.signed_in("admin") as c:
        r = c.post("/api/v1/users", json={"name": "binh", "full_name": "Lê Bình",
                                          "role": "researcher", "clearance": "mat",
                                          "password": PASSWORD})  # fmt: skip
        assert r.status_code == 201 and "password" not in r.text and "argon" not in r.text
        assert c.post("/api/v1/users", json={"name": "binh", "full_name": "x",
                                             "role": "researcher", "clearance": "mat",
                                             "password": PASSWORD}).status_code == 400  # fmt: skip
        names = [u["name"] for u in c.get("/api/v1/users").json()]
        assert "binh" in names
        last_admin = c.patch("/api/v1/users/admin", json={"role": "clerk"})
        assert last_admin.status_code == 400
        trail = c.get("/api/v1/audit", params={"user": "admin"}).json()
        assert any(e["action"] == "user_add" for e in trail)
        check = c.post("/api/v1/reindex", params={"verify": "true"}).json()
        assert check["ok"] is True and check["documents"] == 2
        assert c.post("/api/v1/reindex").json() == {"documents": 2}
        assert c.post("/api/v1/fixity").json()["ok"] is True
    with served.signed_in("binh") as c:
        assert c.get("/api/v1/audit").status_code == 403
        assert c.get("/api/v1/users").status_code == 403
        assert c.post("/api/v1/reindex").status_code == 403
    with served.signed_in("thuky") as c:
        assert c.post("/api/v1/fixity").status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/documents/99999999999999999999", 422),
        ("GET", "/api/v1/documents/-1", 422),
        ("GET", "/api/v1/documents/1/pages/999999999", 422),
        ("GET", "/api/v1/documents/1/pages/0/image", 422),
        ("GET", "/api/v1/documents/abc", 422),
        ("GET", "/api/v1/documents/..%2F..%2F..%2Fetc%2Fpasswd", 404),
        ("GET", "/api/v1/documents/1/pages/..%2F..%2Farchive.db/image", 404),
        ("GET", "/api/v1/documents/1/pages/1%2F..%2F..%2Fx/words", 404),
        ("GET", "/../../etc/passwd", 404),
        ("GET", "/api/v1/search?q=%22unclosed", 400),
        ("GET", "/api/v1/search?q=(a", 400),
        ("GET", "/api/v1/search?q=", 422),
        ("GET", "/api/v1/search?q=a&limit=100000", 422),
        ("GET", "/api/v1/search?q=" + "a" * 2000, 422),
        ("GET", "/api/v1/search?q=a&sort=%27;drop", 422),
        ("GET", "/api/v1/nothing-here", 404),
        ("PUT", "/api/v1/search?q=a", 405),
        ("GET", "/api/v1/audit?since=not-a-date", 422),
        ("GET", "/api/v1/users/admin", 405),
    ],
)
def test_bad_input_gets_a_clear_error_never_a_traceback(
    served: Served, method: str, path: str, status: int
) -> None:
    with served.signed_in("admin") as c:
        if path.startswith("/../"):
            c.cookies.clear()
        r = c.request(method, path)
        assert r.status_code == status, r.text
        assert r.json()["error"]
        assert "Traceback" not in r.text and "/etc/passwd" not in r.text.replace(path, "")


def test_malformed_and_oversized_bodies(served: Served) -> None:
    with served.signed_in("admin") as c:
        r = c.post(
            "/api/v1/users", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["error"]
        r = c.post("/api/v1/users", content=b"x" * (2 << 20),
                   headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 413 and r.json()["error"]
        r = c.post("/api/v1/documents/1/corrections", json={"changes": {"khong_co": "x"}})
        assert r.status_code == 400 and "khong_co" in r.text
        r = c.post("/api/v1/documents/1/corrections", json={"changes": {}})
        assert r.status_code == 422
        r = c.patch("/api/v1/users/khong-co", json={"full_name": "X"})
        assert r.status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_sohoa_serve_on_loopback(tmp_path: Path) -> None:
    sohoa = [sys.executable, "-m", "pipeline.cli"]
    env = {**os.environ, "SOHOA_LANG": "en"}
    # No admin yet: it refuses to start and says how to make one.
    empty = tmp_path / "empty"
    CliRunner().invoke(main, ["status", "--archive", str(empty)])
    (empty / "blobs").mkdir(parents=True, exist_ok=True)
    refused = subprocess.run([*sohoa, "serve", "--archive", str(empty)], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2 and "sohoa user add" in refused.stderr
    built = build(tmp_path / "b")
    port = _free_port()
    proc = subprocess.Popen(
        [*sohoa, "serve", "--archive", str(built.root), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/v1/session").status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        with httpx.Client(base_url=url, headers={"origin": url}) as c:
            r = c.post("/api/v1/session", json={"name": "dan", "password": PASSWORD})
            assert r.status_code == 200
            found = c.get("/api/v1/search", params={"q": "công tác kiểm tra"}).json()
            assert [h["doc_id"] for h in found["hits"]] == [built.public]
            assert c.get(f"/api/v1/documents/{built.secret}").status_code == 404
            token = {"x-csrf-token": r.json()["csrf_token"]}
            assert c.delete("/api/v1/session", headers=token).status_code == 204
            assert c.get("/api/v1/session").status_code == 401
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out
    shown = CliRunner().invoke(main, ["audit", "show", "--archive", str(built.root),
                                      "--user", "dan", "--json"])  # fmt: skip
    assert shown.exit_code == 0
    assert '"action": "search"' in shown.output and '"action": "sign_out"' in shown.output


def test_two_servers_sharing_one_postgresql_store(tmp_path: Path, pg_url: str) -> None:
    """Two server processes (here two apps) over one PostgreSQL: one chain, one door."""
    built = build(tmp_path, pg_url)
    with Served(built.root, pg_url) as one, Served(built.root, pg_url) as two:
        with one.signed_in("dan") as a, two.signed_in("mat") as b:
            for _ in range(5):
                assert a.get("/api/v1/search", params={"q": "kiem tra"}).json()["total"] == 1
                assert b.get("/api/v1/search", params={"q": "kiem tra"}).json()["total"] == 2
                assert a.get(f"/api/v1/documents/{built.secret}").status_code == 404
            # A session made by one server is good on the other: the store holds it.
            b.cookies.set("sohoa_session", a.cookies["sohoa_session"])
            assert b.get("/api/v1/session").json()["name"] == "dan"
        check = audit.verify(one.app.state.sohoa.archive)
        assert check.ok and check.checked == 17  # 2 sign-ins, 15 requests


def test_user_and_token_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--archive", str(tmp_path / "kho")]
    r = runner.invoke(main, ["user", "add", "an", "--role", "researcher", "--password-stdin",
                             *where], input="mat-khau-rat-dai\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["user", "add", "an", "--role", "researcher", "--password-stdin",
                             *where], input="mat-khau-rat-dai\n")  # fmt: skip
    assert r.exit_code == 2
    short = runner.invoke(main, ["user", "add", "ba", "--role", "clerk", "--password-stdin",
                                 *where], input="ngan\n")  # fmt: skip
    assert short.exit_code == 2 and "10" in short.output
    r = runner.invoke(main, ["user", "set", "an", "--clearance", "toi-mat", "--json", *where])
    assert r.exit_code == 0 and '"clearance": "toi-mat"' in r.output
    r = runner.invoke(main, ["token", "add", "an", "--name", "lgsp", "--days", "5", "--json",
                             *where])  # fmt: skip
    assert r.exit_code == 0 and '"token": "sohoa_' in r.output
    listed = runner.invoke(main, ["token", "list", "--json", *where])
    assert "sohoa_" not in listed.output and '"name": "lgsp"' in listed.output
    assert runner.invoke(main, ["token", "revoke", "1", *where]).exit_code == 0
    assert runner.invoke(main, ["token", "revoke", "9", *where]).exit_code == 7
    assert runner.invoke(main, ["user", "disable", "an", *where]).exit_code == 0
    r = runner.invoke(main, ["user", "list", *where])
    assert "an" in r.output
    trail = runner.invoke(main, ["audit", "show", "--json", *where])
    assert trail.output.count('"user": "local:') >= 4
    assert runner.invoke(main, ["audit", "verify", *where]).exit_code == 0
