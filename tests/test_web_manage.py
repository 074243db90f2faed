"""The clerks' and admins' work through the API against a real server: a batch started from
the scan root as a process of its own and watched to the end (real Tesseract), paths outside
the scan root refused, background jobs, users' sessions and passwords, tokens, the audit chain."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archive_store import accounts, audit
from archive_store.accounts import Role
from pipeline import jobs
from sohoa.access import AccessLevel
from tests.web_archive import PASSWORD, Built, Served, build
from web import api_manage

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "batch"
SCAN = "02-thong-bao-24-TB-UBKTTU.jpg"
"""One page (Số 24-TB/UBKTTU), read in ~5 s."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("web-manage"))


@pytest.fixture(scope="module")
def scan_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan root with a one-page batch folder, and the tricks a path could play."""
    root = tmp_path_factory.mktemp("may-quet")
    (root / "hop-moi").mkdir()
    shutil.copy(SAMPLE / SCAN, root / "hop-moi" / SCAN)
    outside = tmp_path_factory.mktemp("ngoai")
    (outside / "bi-mat.png").write_bytes(b"not a scan")
    (root / "lien-ket-ra-ngoai").symlink_to(outside, target_is_directory=True)
    (root / "hop-co-lien-ket").mkdir()
    (root / "hop-co-lien-ket" / "trang-1.png").symlink_to(outside / "bi-mat.png")
    return root


@pytest.fixture(scope="module")
def served(built: Built, scan_root: Path) -> Iterator[Served]:
    with Served(built.root, scan_root=scan_root) as s:
        yield s


def wait_for(c: httpx.Client, job_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = c.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] != "running":
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still running after {seconds} s")


def test_a_clerk_starts_a_batch_from_the_scan_root_and_watches_it_finish(served: Served) -> None:
    with served.signed_in("thuky") as c:
        listing = c.get("/api/v1/scan-root").json()
        names = {f["name"]: f for f in listing["folders"]}
        assert "lien-ket-ra-ngoai" not in names  # a link out of the root is not even offered
        assert names["hop-moi"]["files"] == 1 and names["hop-moi"]["batch_id"] is None
        r = c.post("/api/v1/ingest", json={"folder": "hop-moi", "workers": 1})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["state"] == "running" and job["folder"] == "hop-moi"
        again = c.post("/api/v1/ingest", json={"folder": "hop-moi/"}).json()
        assert again["id"] == job["id"]  # the batch running is answered, not started twice
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            mine = next(b for b in c.get("/api/v1/ingest").json() if b["name"] == "hop-moi")
            seen.append(mine)
            if not mine["running"]:
                break
            time.sleep(0.3)
        assert mine["state"] == "done", mine
        assert mine["pages_total"] == mine["pages_stored"] == 1 and mine["documents"] == 1
        assert mine["pages_per_minute"] > 0 and mine["failures"] == []
        assert mine["job"]["result"]["pages_done"] == 1
        assert any(b["running"] for b in seen)
        after = c.get("/api/v1/scan-root").json()
        assert next(f for f in after["folders"] if f["name"] == "hop-moi")["batch_id"]
        # The new document is searchable at once.
        hits = c.get("/api/v1/search", params={"q": "24-TB/UBKTTU"}).json()
        assert hits["total"] == 1
    archive = served.app.state.sohoa.archive
    assert any(e.action == "batch_start" and e.user == "thuky" for e in audit.entries(archive))


REFUSED = [
    ("../", "'..'"),
    ("hop-moi/../../", "'..'"),
    ("/etc", "tuyệt đối"),
    ("lien-ket-ra-ngoai", "liên kết"),
    ("hop-co-lien-ket", "hop-co-lien-ket/trang-1.png"),
    ("khong-co", "không có thư mục"),
]


def test_a_path_outside_the_scan_root_is_refused(served: Served) -> None:
    archive = served.app.state.sohoa.archive
    with served.signed_in("thuky") as c:
        for folder, why in REFUSED:
            r = c.post("/api/v1/ingest", json={"folder": folder})
            assert r.status_code == 400, r.text
            assert why in r.json()["error"] and "thư mục quét" in r.json()["error"], folder
            last = list(audit.entries(archive, user="thuky"))[-1]
            assert (last.action, last.outcome) == ("batch_start", "denied")
        assert c.get("/api/v1/scan-root", params={"path": "../"}).status_code == 400
    assert not any(j.folder in dict(REFUSED) for j in jobs.list_jobs(archive))


def test_only_clerks_start_batches_and_only_admins_run_the_other_jobs(served: Served) -> None:
    with served.signed_in("dan") as c:
        assert c.get("/api/v1/ingest").status_code == 403
        assert c.post("/api/v1/ingest", json={"folder": "hop-moi"}).status_code == 403
    with served.signed_in("thuky") as c:
        assert c.post("/api/v1/jobs", json={"kind": "reindex"}).status_code == 403
        assert c.get("/api/v1/tokens").status_code == 403
        assert c.get("/api/v1/index").status_code == 403


def test_an_admin_checks_the_index_in_the_background(served: Served) -> None:
    with served.signed_in("admin") as c:
        r = c.post("/api/v1/jobs", json={"kind": "verify"})
        assert r.status_code == 202 and r.json()["state"] == "running"
        done = wait_for(c, r.json()["id"])
        assert done["state"] == "done" and done["result"]["ok"] is True, done
        state = c.get("/api/v1/index").json()
        assert state["last"]["verify"]["id"] == done["id"] and state["pending_documents"] == 0
        # A clerk does not see the admins' jobs, not even by id.
    with served.signed_in("thuky") as c:
        assert c.get(f"/api/v1/jobs/{done['id']}").status_code == 404
        assert all(j["kind"] == "ingest" for j in c.get("/api/v1/jobs").json())


def test_an_ingest_report_lists_only_documents_the_clerk_may_see(
    served: Served, built: Built
) -> None:
    ctx = served.app.state.sohoa
    report = {"kind": "ingest", "result": {"documents": [built.public, built.secret]}}
    public_clerk = accounts.Principal(accounts.user(ctx.archive, "vanthu"), "session")
    cleared = accounts.Principal(accounts.user(ctx.archive, "thuky"), "session")
    assert api_manage.shown(ctx, public_clerk, report)["result"]["documents"] == [built.public]  # type: ignore[index]
    assert api_manage.shown(ctx, cleared, report)["result"]["documents"] == [  # type: ignore[index]
        built.public,
        built.secret,
    ]


def test_an_admin_ends_sessions_resets_a_password_and_keeps_tokens(served: Served) -> None:
    archive = served.app.state.sohoa.archive
    accounts.add_user(archive, "khach", "Khách", Role.researcher, AccessLevel.cong_khai, PASSWORD)
    with served.signed_in("khach") as guest, served.signed_in("admin") as c:
        assert guest.get("/api/v1/session").status_code == 200
        r = c.post("/api/v1/users/khach/end-sessions")
        assert r.json() == {"name": "khach", "ended": 1}
        assert guest.get("/api/v1/session").status_code == 401
        made = c.post("/api/v1/users/khach/password", json={}).json()["password"]
        assert len(made) >= 12
        with served.signed_in("khach", made) as again:
            assert again.get("/api/v1/session").json()["name"] == "khach"
        tok = c.post("/api/v1/tokens", json={"user": "khach", "name": "lgsp", "days": 7}).json()
        bearer = {"authorization": f"Bearer {tok['token']}"}
        assert httpx.get(served.url + "/api/v1/session", headers=bearer).status_code == 200
        listed = c.get("/api/v1/tokens", params={"user": "khach"}).json()
        assert [t["name"] for t in listed] == ["lgsp"] and "token" not in listed[0]
        assert c.delete(f"/api/v1/tokens/{tok['id']}").json()["revoked_at"]
        assert httpx.get(served.url + "/api/v1/session", headers=bearer).status_code == 401
        chain = c.get("/api/v1/audit/verify").json()
        assert chain["ok"] is True and chain["checked"] > 10
    actions = [e.action for e in audit.entries(archive, user="admin")]
    assert {"sessions_end", "user_set", "token_add", "token_revoke", "audit_verify"} <= set(actions)
