"""The clerks' and admins' work against a real `sohoa serve` with a scan root, in Chromium
(Playwright) and through the API: a batch started from a folder of the scan root runs as a
process of its own and is watched to the end (real Tesseract); a corrected field is found by
search at once; a disabled user's open session stops; paths outside the scan root are refused;
background jobs, sessions, passwords, tokens and the audit chain. Screenshots of each page go
to tests/.screenshots/."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from archive_store import accounts, audit, store
from archive_store.accounts import Role
from archive_store.blobs import sha256_file
from archive_store.db import Archive
from archive_store.records import PageRef
from archive_store.store import KnownFile, NewDocument
from pipeline import indexing, jobs
from sohoa.access import AccessLevel
from sohoa.errors import NotFound
from tests.browser import REPO, Site, build_site_archive, serving, shot, sign_in
from tests.web_archive import PASSWORD, SECRET, _page
from web import api_manage

SAMPLE = REPO / "samples" / "batch" / "02-thong-bao-24-TB-UBKTTU.jpg"
"""One page (Số 24-TB/UBKTTU), read in ~5 s."""


@pytest.fixture(scope="module")
def scan_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan root with a one-page batch folder, and the tricks a path could play."""
    root = tmp_path_factory.mktemp("may-quet")
    (root / "hop-moi").mkdir()
    shutil.copy(SAMPLE, root / "hop-moi" / SAMPLE.name)
    (root / "hop-moi" / "rong.tif").write_bytes(b"")  # a failure, listed with its reason
    (root / "kho-2024" / "hop-3").mkdir(parents=True)
    outside = tmp_path_factory.mktemp("ngoai")
    (outside / "bi-mat.png").write_bytes(b"not a scan")
    (root / "lien-ket-ra-ngoai").symlink_to(outside, target_is_directory=True)
    (root / "hop-co-lien-ket").mkdir()
    (root / "hop-co-lien-ket" / "trang-1.png").symlink_to(outside / "bi-mat.png")
    return root


def add_disputed_page(kho: Path, folder: Path) -> int:
    """A public one-page document whose page needs a look: the two engines read "máy"/"mấy"."""
    folder.mkdir()
    path, result = _page(["BIÊN BẢN", "kiểm tra máy in năm 2023"], folder / "bien-ban.png")
    words = tuple(
        dataclasses.replace(w, engine="asterocr", conf=93.0, alt_text="mấy", alt_conf=61.0)
        if w.text == "máy" else w
        for w in result.words
    )  # fmt: skip
    result = dataclasses.replace(result, words=words, needs_review=True, mean_confidence=71.0,
                                 review_reasons=("low_confidence",))  # fmt: skip
    archive = Archive(kho, create=False)
    try:
        batch = store.upsert_batch(archive, folder)
        sha = sha256_file(path)
        archive.blobs.put(path, sha)
        store.register_file(archive, batch, KnownFile(path.name, sha, path.stat().st_size,
                                                      None, "png", 1))  # fmt: skip
        store.save_page(archive, sha, 1, result)
        ref = PageRef(sha, 1, path.name)
        extracted = {"loai": {"value": "Biên bản", "confidence": 0.9}}
        new = NewDocument((ref,), "Biên bản kiểm tra máy in", extracted, 0)
        doc_id = store.replace_documents(archive, batch, [ref], [new]).ids[0]
        store.finish_batch(archive, batch)
        indexing.sync(archive)
        return doc_id
    finally:
        archive.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scan_root: Path) -> Iterator[Site]:
    """A real `sohoa serve` over the browser tests' archive (and a page to settle), with
    SOHOA_SCAN_ROOT set."""
    root = tmp_path_factory.mktemp("manage")
    ids = build_site_archive(root)
    add_disputed_page(root / "kho", root / "hop-bien-ban")
    with serving(root / "kho", root / "serve.log", SOHOA_SCAN_ROOT=str(scan_root)) as url:
        yield Site(url=url, root=root / "kho", **ids)


@pytest.fixture(scope="module")
def archive(site: Site) -> Iterator[Archive]:
    """The server's store, opened by the test to check what the pages did."""
    arch = Archive(site.root, create=False)
    yield arch
    arch.close()


@contextmanager
def signed_in(site: Site, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, headers={"origin": site.url}, timeout=60) as c:
        r = c.post("/api/v1/session", json={"name": name, "password": password})
        assert r.status_code == 200, r.text
        c.headers["x-csrf-token"] = r.json()["csrf_token"]
        yield c


def wait_for(c: httpx.Client, job_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = c.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] != "running":
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still running after {seconds} s")


# -- in the browser ---------------------------------------------------------------------------


def test_a_clerk_starts_a_batch_and_watches_it_finish(
    site: Site, page: Page, archive: Archive
) -> None:
    sign_in(page, site, "thuky")
    page.goto(site.url + "/lo-quet")
    expect(page.get_by_text("lien-ket-ra-ngoai")).to_have_count(0)  # a link out: not offered
    shot(page, "lo-quet-chon-thu-muc")
    page.get_by_role("button", name="Nhận lô từ thư mục hop-moi").click()
    page.wait_for_url("**/lo-quet?bat_dau=*")
    job_id = page.url.rsplit("=", 1)[1]
    row = page.locator(f'tr[data-key="j{job_id}"]')
    expect(row).to_have_count(1)
    # The page's script follows the job and reloads once it ends.
    expect(row).to_have_attribute("data-state", "done", timeout=60_000)
    expect(row.locator(".stored")).to_have_text("1")
    expect(row.locator(".docs")).to_have_text("1")
    expect(row.locator(".failed")).to_have_text("1")
    page.get_by_text("Lỗi và lý do (1)").click()
    expect(page.locator("ul.failures")).to_contain_text("rong.tif")
    expect(page.locator("ul.failures")).to_contain_text("tệp rỗng")
    assert float(row.locator(".rate").inner_text()) > 0
    shot(page, "lo-quet-xong")
    # What was ingested is searchable at once, as the clerk's own session sees it.
    hits = page.request.get(site.url + "/api/v1/search?q=24-TB/UBKTTU").json()
    assert hits["total"] == 1
    trail = list(audit.entries(archive, user="thuky"))
    assert any(e.action == "batch_start" for e in trail)
    assert sum(e.action == "batches" for e in trail) <= 5  # page loads; the polls are not
    # A form whose folder was changed by hand is refused with the reason.
    first = page.locator("ul.folders li").first
    first.locator('input[name="thu_muc"]').evaluate("e => e.value = '../'")
    first.get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("ra ngoài thư mục quét")
    shot(page, "lo-quet-tu-choi")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(site.url + "/lo-quet")
    shot(page, "lo-quet-375")


def test_a_clerk_reviews_corrects_a_field_and_finds_it_by_search(site: Site, page: Page) -> None:
    sign_in(page, site, "thuky")
    page.goto(site.url + "/kiem-tra")
    item = page.locator("li.review-item", has_text=f"Văn bản {site.bi_mat} · Số, ký hiệu")
    expect(item).to_have_count(1)
    # The flagged field's region, boxed on its page image.
    rect = item.locator("svg.boxes rect")
    assert [rect.get_attribute(a) for a in ("x", "y", "width", "height")] == [
        "100", "220", "300", "50",
    ]  # fmt: skip
    expect(item.locator("img")).to_have_attribute(
        "src", f"/api/v1/documents/{site.bi_mat}/pages/1/image"
    )
    disputed = page.locator("li.review-item", has_text="Chữ hai bộ đọc đọc khác nhau")
    expect(disputed.locator("table.disputed tbody tr")).to_have_count(1)
    expect(disputed.locator("table.disputed")).to_contain_text("máy asterocr 93%")
    expect(disputed.locator("table.disputed")).to_contain_text("mấy 61%")
    expect(disputed.locator("pre.text")).to_contain_text("kiểm tra máy in")
    expect(disputed.locator("svg.boxes rect")).to_have_count(1)
    shot(page, "kiem-tra")
    item.get_by_role("link", name=f"Sửa siêu dữ liệu văn bản {site.bi_mat}").click()
    field = page.get_by_label("Số, ký hiệu")
    expect(field).to_have_value("15-TB/TU")
    field.fill("17-TB/TU")
    page.get_by_label("Nơi ban hành").fill("Bắc Giang")
    page.get_by_label("Nơi ban hành").press("Enter")  # the keyboard alone saves the form
    expect(page.get_by_role("status")).to_contain_text("Tìm kiếm đã cập nhật")
    shot(page, "sua-van-ban")
    found = page.request.get(site.url + "/api/v1/search?q=so:17").json()
    assert [h["doc_id"] for h in found["hits"]] == [site.bi_mat] and "17-TB/TU" in str(found)
    assert page.request.get(site.url + "/api/v1/search?q=so:15").json()["total"] == 0
    # A bad date is refused on the form, with the reason, and nothing is saved.
    page.get_by_label("Ngày ban hành").fill("15/03/2023")
    page.get_by_role("button", name="Lưu sửa đổi").click()
    expect(page.get_by_role("alert")).to_contain_text("NĂM-THÁNG-NGÀY")


def test_a_clerk_sees_no_document_above_their_clearance(site: Site, page: Page) -> None:
    sign_in(page, site, "vanthu")  # a clerk cleared for public documents only
    page.goto(site.url + "/kiem-tra")
    expect(page.get_by_role("heading", name="Cần kiểm tra")).to_be_visible()
    assert SECRET not in page.content() and f"Văn bản {site.secret} " not in page.content()
    answer = page.goto(site.url + f"/van-ban/{site.secret}/sua")
    assert answer is not None and answer.status == 404
    assert SECRET not in page.content()
    answer = page.goto(site.url + "/van-ban/999999/sua")
    assert answer is not None and answer.status == 404


def test_an_admin_disables_a_user_whose_open_session_stops_at_once(
    site: Site, page: Page, browser: Browser
) -> None:
    sign_in(page, site, "admin")
    page.goto(site.url + "/quan-tri/nguoi-dung")
    page.get_by_label("Tên đăng nhập").fill("nhan-vien")
    page.get_by_label("Họ và tên").fill("Nguyễn Văn Nhân")
    page.get_by_label("Vai trò", exact=True).last.select_option("clerk")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Thêm người dùng").last.click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm người dùng")
    other = browser.new_context(viewport={"width": 375, "height": 740}, locale="vi-VN")
    try:
        theirs = other.new_page()
        sign_in(theirs, site, "nhan-vien")
        theirs.goto(site.url + "/lo-quet")
        expect(theirs.get_by_role("heading", name="Lô quét", exact=True)).to_be_visible()
        page.reload()
        card = page.locator("#u-nhan-vien")
        expect(card.locator(".sessions")).to_contain_text("1")
        shot(page, "quan-tri-nguoi-dung")
        card.get_by_role("button", name="Vô hiệu hóa nhan-vien").click()
        expect(page.locator("#u-nhan-vien .active")).to_have_text("đã vô hiệu hóa")
        theirs.goto(site.url + "/lo-quet")
        expect(theirs).to_have_url(re.compile("/dang-nhap"))
        expect(theirs.get_by_role("status")).to_contain_text("đã kết thúc")
        r = theirs.request.get(site.url + "/api/v1/ingest")
        assert r.status == 401
    finally:
        other.close()


def test_an_admin_keeps_tokens_the_audit_trail_the_index_and_fixity(site: Site, page: Page) -> None:
    sign_in(page, site, "admin")
    page.goto(site.url + "/quan-tri/token")
    page.get_by_label("Của người dùng").select_option("dan")
    page.get_by_label("Tên token").fill("lgsp")
    page.get_by_role("button", name="Tạo token").last.click()
    token = page.locator("#shown-once").inner_text()
    assert token.startswith("sohoa_")
    bearer = {"authorization": f"Bearer {token}"}
    assert httpx.get(site.url + "/api/v1/session", headers=bearer).json()["name"] == "dan"
    shot(page, "quan-tri-token")
    page.get_by_role("button", name="Thu hồi token").first.click()
    expect(page.get_by_role("status")).to_contain_text("Đã thu hồi")
    assert httpx.get(site.url + "/api/v1/session", headers=bearer).status_code == 401
    page.goto(site.url + "/quan-tri/nhat-ky?nguoi=admin")
    page.get_by_role("button", name="Kiểm tra chuỗi băm").click()
    expect(page.locator("#chain")).to_contain_text("Chuỗi băm nguyên vẹn")
    expect(page.locator("table.audit")).to_contain_text("token_revoke")
    shot(page, "quan-tri-nhat-ky")
    page.goto(site.url + "/quan-tri/chi-muc")
    page.get_by_role("button", name="Kiểm tra chỉ mục").click()
    # Meanwhile a fixity check through the API: both run as processes of their own.
    with signed_in(site, "admin") as c:
        r = c.post("/api/v1/jobs", json={"kind": "fixity"})
        assert r.status_code == 202 and r.json()["state"] == "running", r.text
        with signed_in(site, "thuky") as clerk:  # a clerk sees no admin job, not even by id
            assert clerk.get(f"/api/v1/jobs/{r.json()['id']}").status_code == 404
            assert all(j["kind"] == "ingest" for j in clerk.get("/api/v1/jobs").json())
        fixity = wait_for(c, r.json()["id"])
        assert fixity["state"] == "done" and fixity["result"]["ok"] is True, fixity
        expect(page.locator("#verify-result")).to_contain_text("khớp với kho", timeout=30_000)
        state = c.get("/api/v1/index").json()
        assert state["last"]["fixity"]["id"] == fixity["id"] and state["pending_documents"] == 0
        assert state["last"]["verify"]["result"]["ok"] is True
    shot(page, "quan-tri-chi-muc")
    page.goto(site.url + "/quan-tri/bao-toan")
    expect(page.locator("#fixity-result")).to_contain_text("Mọi bản gốc nguyên vẹn")
    shot(page, "quan-tri-bao-toan")
    page.goto(site.url + "/quan-tri/nguoi-dung?lang=en")
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()


MANAGE_PAGES = (
    "/lo-quet", "/kiem-tra", "/van-ban/{id}/sua", "/quan-tri/nguoi-dung", "/quan-tri/token",
    "/quan-tri/nhat-ky", "/quan-tri/chi-muc", "/quan-tri/bao-toan",
)  # fmt: skip


def test_every_field_labelled_no_inline_code_and_a_phone_width(site: Site, page: Page) -> None:
    sign_in(page, site, "admin")
    page.set_viewport_size({"width": 375, "height": 740})
    for path in MANAGE_PAGES:
        page.goto(site.url + path.format(id=site.public))
        fields = page.locator("input:not([type=hidden]), select, textarea")
        for i in range(fields.count()):
            assert fields.nth(i).evaluate("el => el.labels.length") > 0, (path, i)
        assert page.evaluate("document.documentElement.scrollWidth") <= 376, path
        html = page.content()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html, path
    shot(page, "quan-tri-bao-toan-375")
    page.goto(site.url + "/quan-tri/nguoi-dung")
    shot(page, "quan-tri-nguoi-dung-375")


def test_researchers_and_clerks_do_not_reach_the_pages_above_their_role(
    site: Site, page: Page
) -> None:
    sign_in(page, site, "dan")
    for path in ("/lo-quet", "/kiem-tra", f"/van-ban/{site.public}/sua", "/quan-tri/nguoi-dung"):
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 404, path
    page.context.clear_cookies()
    sign_in(page, site, "thuky")
    for path in ("/quan-tri/nguoi-dung", "/quan-tri/token", "/quan-tri/nhat-ky"):
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 404, path


# -- through the API --------------------------------------------------------------------------

REFUSED = [
    ("../", "'..'"),
    ("hop-moi/../../", "'..'"),
    ("/etc", "tuyệt đối"),
    ("lien-ket-ra-ngoai", "liên kết"),
    ("hop-co-lien-ket", "hop-co-lien-ket/trang-1.png"),
    ("khong-co", "không có thư mục"),
]


def test_a_path_outside_the_scan_root_is_refused(site: Site, archive: Archive) -> None:
    with signed_in(site, "thuky") as c:
        listing = c.get("/api/v1/scan-root").json()
        assert "lien-ket-ra-ngoai" not in {f["name"] for f in listing["folders"]}
        inner = c.get("/api/v1/scan-root", params={"path": "kho-2024"}).json()
        assert [f["path"] for f in inner["folders"]] == ["kho-2024/hop-3"]
        for folder, why in REFUSED:
            r = c.post("/api/v1/ingest", json={"folder": folder})
            assert r.status_code == 400, r.text
            assert why in r.json()["error"] and "thư mục quét" in r.json()["error"], folder
            last = list(audit.entries(archive, user="thuky"))[-1]
            assert (last.action, last.outcome) == ("batch_start", "denied")
        assert c.get("/api/v1/scan-root", params={"path": "../"}).status_code == 400
    assert not any(j.folder in dict(REFUSED) for j in jobs.list_jobs(archive))


def test_only_clerks_start_batches_and_only_admins_run_the_other_jobs(site: Site) -> None:
    with signed_in(site, "dan") as c:
        assert c.get("/api/v1/ingest").status_code == 403
        assert c.post("/api/v1/ingest", json={"folder": "hop-moi"}).status_code == 403
    with signed_in(site, "thuky") as c:
        assert c.post("/api/v1/jobs", json={"kind": "reindex"}).status_code == 403
        assert c.get("/api/v1/tokens").status_code == 403
        assert c.get("/api/v1/index").status_code == 403


def test_an_ingest_report_lists_only_documents_the_clerk_may_see(
    site: Site, archive: Archive
) -> None:
    report = {"kind": "ingest", "result": {"documents": [site.public, site.secret]}}
    public_clerk = accounts.Principal(accounts.user(archive, "vanthu"), "session")
    cleared = accounts.Principal(accounts.user(archive, "thuky"), "session")
    assert api_manage.shown(archive, public_clerk, report) == {
        "kind": "ingest", "result": {"documents": [site.public]},
    }  # fmt: skip
    assert api_manage.shown(archive, cleared, report) == report


def test_an_admin_ends_sessions_resets_a_password_and_keeps_tokens(
    site: Site, archive: Archive
) -> None:
    accounts.add_user(archive, "khach", "Khách", Role.researcher, AccessLevel.cong_khai, PASSWORD)
    with signed_in(site, "khach") as guest, signed_in(site, "admin") as c:
        assert guest.get("/api/v1/session").status_code == 200
        r = c.post("/api/v1/users/khach/end-sessions")
        assert r.json() == {"name": "khach", "ended": 1}
        assert guest.get("/api/v1/session").status_code == 401
        made = c.post("/api/v1/users/khach/password", json={}).json()["password"]
        assert len(made) >= 12
        with signed_in(site, "khach", made) as again:
            assert again.get("/api/v1/session").json()["name"] == "khach"
        tok = c.post("/api/v1/tokens", json={"user": "khach", "name": "lgsp", "days": 7}).json()
        bearer = {"authorization": f"Bearer {tok['token']}"}
        assert httpx.get(site.url + "/api/v1/session", headers=bearer).status_code == 200
        listed = c.get("/api/v1/tokens", params={"user": "khach"}).json()
        assert [t["name"] for t in listed] == ["lgsp"] and "token" not in listed[0]
        assert c.delete(f"/api/v1/tokens/{tok['id']}").json()["revoked_at"]
        assert httpx.get(site.url + "/api/v1/session", headers=bearer).status_code == 401
        chain = c.get("/api/v1/audit/verify").json()
        assert chain["ok"] is True and chain["checked"] > 10
    actions = {e.action for e in audit.entries(archive, user="admin")}
    assert {"sessions_end", "user_set", "token_add", "token_revoke", "audit_verify"} <= actions


def test_a_job_killed_with_its_processes_reads_as_interrupted(archive: Archive) -> None:
    job = jobs.start(archive, "verify", "admin")
    assert job.running
    home = jobs.jobs_dir(archive) / job.id
    keeper = int((home / "keeper.pid").read_text())
    os.killpg(keeper, signal.SIGKILL)  # the machine went down, say: no end was written
    deadline = time.monotonic() + 20
    while jobs.job(archive, job.id).running:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    gone = jobs.job(archive, job.id)
    assert gone.state == "interrupted" and gone.exit_code is None
    assert jobs.state_label(gone) == "bị ngắt, chạy lại để tiếp tục"
    with pytest.raises(NotFound):
        jobs.job(archive, "../../etc")
