"""The researcher's pages in a real browser (Debian's Chromium via Playwright) against a real
`sohoa serve` process: sign-in, search, a document with its hits boxed on the page image,
the PDF, what a reader without clearance cannot reach, keyboard use and labels, a phone's width."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from archive_store import audit, store
from archive_store.db import Archive
from tests.browser import PASSWORD, SECRET, Site, shot, sign_in


@pytest.fixture
def stored(site: Site) -> Iterator[Archive]:
    """The server's archive, opened beside it to check the store and the audit trail."""
    opened = Archive(site.root, create=False)
    try:
        yield opened
    finally:
        opened.close()


def _seq(archive: Archive) -> int:
    return max([e.seq for e in audit.entries(archive)] or [0])


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_every_page_asks_for_sign_in_and_the_messages_say_why(site: Site, page: Page) -> None:
    for path in ("/", "/tim-kiem?q=mat", f"/van-ban/{site.bi_mat}"):
        page.goto(site.url + path)
        assert page.url.startswith(site.url + "/dang-nhap?next="), page.url
    shot(page, "dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("dan")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    sign_in(page, site, "dan")
    cookie = next(c for c in page.context.cookies() if c["name"] == "sohoa_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
    # The old session id is dead in the store: replayed, it is "expired", never signed in.
    page.context.add_cookies([{**cookie}])
    page.goto(site.url + "/tim-kiem?q=mat")
    assert "/dang-nhap" in page.url and "het_han=1" in page.url
    expect(page.get_by_role("status")).to_contain_text("hết hạn")
    for _ in range(6):  # five failures for a name, and the sixth try is refused unchecked
        page.get_by_label("Tên đăng nhập").fill("khach-la")
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        with page.expect_navigation():
            page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("quá nhiều lần")


def test_sign_in_goes_back_to_the_page_asked_for_and_never_elsewhere(
    site: Site, page: Page
) -> None:
    page.goto(site.url + "/tim-kiem?q=mat")
    page.get_by_label("Tên đăng nhập").fill("dan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tim-kiem\?q=mat$"))
    page.context.clear_cookies()
    page.goto(site.url + "/dang-nhap?next=//example.com/x")
    sign_in_via_form = page.get_by_role("button", name="Đăng nhập")
    page.get_by_label("Tên đăng nhập").fill("dan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    sign_in_via_form.click()
    page.wait_for_url(site.url + "/")


def test_a_researcher_searches_opens_a_document_follows_hits_and_gets_the_pdf(
    site: Site, page: Page, stored: Archive
) -> None:
    errors = _csp_errors(page)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    before = _seq(stored)
    sign_in(page, site, "dan")
    # The keyboard alone: Tab to the search box, type, Enter.
    for _ in range(20):
        if page.evaluate("document.activeElement && document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the search box")
    page.keyboard.type("mat")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tim-kiem\?q=mat"))
    shown = {int(v) for v in page.locator("li.hit").evaluate_all(
        "els => els.map(e => e.dataset.doc)")}  # fmt: skip
    assert shown == {site.bi_mat, site.bao_cao}  # only public documents, both spellings
    html = page.content()
    assert SECRET not in html and "Yên Thế" not in html and "Độ mật" not in html
    expect(page.locator("li.hit mark").first).to_be_visible()
    expect(page.get_by_role("link", name="Thông báo")).to_be_visible()  # a facet with its count
    shot(page, "tim-kiem")
    page.get_by_role("link", name="Thông báo").click()  # a facet: its filter joins the query
    page.wait_for_url(re.compile(r"q=mat\+loai%3A%22Th%C3%B4ng\+b%C3%A1o%22"))
    expect(page.locator("#q")).to_have_value('mat loai:"Thông báo"')
    expect(page.locator("li.hit")).to_have_count(1)

    page.get_by_role("link", name="Về công tác bảo vệ bí mật nhà nước").click()
    page.wait_for_url(re.compile(rf"/van-ban/{site.bi_mat}\?q=mat"))
    image = page.locator("#page-image")
    expect(image).to_have_js_property("complete", True)
    page.wait_for_function("document.getElementById('page-image').naturalWidth > 0")
    expect(page.locator("#citation")).to_contain_text(
        "Phông TU-BG, Mục lục số 01, Hồ sơ số TU-BG.01.12.05; Thông báo số 15-TB/TU ngày 15/03/2023"
    )
    shot(page, "van-ban")

    # The box drawn over the first hit is where the store says the word is, scaled.
    record = store.document(stored, site.bi_mat)
    _, words = store.page_content(stored, record.pages[0].sha256, record.pages[0].source_page)
    matched = [w for w in words if w.text.lower() in ("mật", "mặt")]
    width = page.evaluate("document.getElementById('boxes').viewBox.baseVal.width")
    _compare_box(page, image, matched[0], width, 1)
    page.get_by_role("button", name="Phóng to").click()  # zoomed, the boxes stay on their words
    page.wait_for_function("document.getElementById('sheet').style.width === '150%'")
    _compare_box(page, image, matched[0], width, 1)
    page.get_by_role("button", name="Vừa khung").click()
    page.get_by_role("link", name="Chỗ khớp sau").click()
    expect(page.locator("#hit-now")).to_have_text("2")
    _compare_box(page, image, matched[1], width, 2)
    # Past the page's last hit: the next page's first.
    page.get_by_role("link", name="Chỗ khớp sau").click()
    page.wait_for_url(re.compile(r"trang=2"))
    expect(page.locator("#hit-now")).to_have_text("1")
    expect(page.locator("rect.current title")).to_have_text("Mặt")
    expect(page.locator("pre.text mark").first).to_have_text("Mặt")
    page.get_by_role("link", name="Chỗ khớp trước").click()
    page.wait_for_url(re.compile(r"trang=1.*cho=-1"))
    expect(page.locator("#hit-now")).to_have_text("2")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản PDF/A").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    # The pages asked for nothing of a document the reader may not see.
    assert not [u for u in asked if re.search(rf"/(van-ban|documents)/({site.secret}|"
                                             rf"{site.toi_mat})\b", u)]  # fmt: skip
    thumbs = [u for u in asked if u.endswith("/anh-nho")]
    assert {u.removeprefix(site.url) for u in thumbs} == {
        f"/van-ban/{site.bi_mat}/trang/{n}/anh-nho" for n in (1, 2)}  # fmt: skip
    small = httpx.get(thumbs[0], cookies={c["name"]: c["value"] for c in page.context.cookies()})
    assert small.headers["content-type"] == "image/jpeg" and len(small.content) < 40_000
    done = [e for e in audit.entries(stored, user="dan") if e.seq > before]
    actions = {(e.action, e.outcome, e.document_id) for e in done}
    assert ("search", "ok", None) in actions
    assert {("document", "ok", site.bi_mat), ("page_image", "ok", site.bi_mat),
            ("pdf", "ok", site.bi_mat)} <= actions  # fmt: skip


def _compare_box(page: Page, image: object, word: object, width: float, hit: int) -> None:
    # The rectangle as drawn on screen (its geometry, without the stroke around it).
    drawn = page.locator(f'rect[data-hit="{hit}"]').evaluate(
        """el => { const b = el.getBBox(), m = el.getScreenCTM();
                   return {x: m.a * b.x + m.e, y: m.d * b.y + m.f,
                           width: m.a * b.width, height: m.d * b.height}; }"""
    )
    shown = page.locator("#page-image").evaluate(
        "el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width}; }"
    )
    scale = shown["width"] / width
    expected = (shown["x"] + word.left * scale, shown["y"] + word.top * scale,  # type: ignore[attr-defined]
                word.width * scale, word.height * scale)  # type: ignore[attr-defined]  # fmt: skip
    got = (drawn["x"], drawn["y"], drawn["width"], drawn["height"])
    assert all(abs(a - b) < 2.5 for a, b in zip(got, expected, strict=True)), (got, expected)
    assert page.locator(f'rect[data-hit="{hit}"]').get_attribute("class") == "current"


def test_a_reader_without_clearance_cannot_reach_a_secret_document_by_its_url(
    site: Site, page: Page, stored: Archive
) -> None:
    before = _seq(stored)
    sign_in(page, site, "dan")
    for doc_id in (site.secret, site.toi_mat, 999_999):
        answer = page.goto(f"{site.url}/van-ban/{doc_id}?q=mat")
        assert answer is not None and answer.status == 404
        expect(page.get_by_role("alert")).to_have_text(f"Không có văn bản số {doc_id} trong kho.")
        assert SECRET not in page.content() and "Yên Thế" not in page.content()
    shot(page, "khong-co")
    for path in (f"/api/v1/documents/{site.secret}/pages/1/image",
                 f"/van-ban/{site.secret}/trang/1/anh-nho"):  # fmt: skip
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 404
        assert SECRET not in page.content()
    denied = [e for e in audit.entries(stored, user="dan") if e.seq > before]
    assert {(e.action, e.outcome) for e in denied if e.document_id == site.secret} == {
        ("document", "denied"), ("page_image", "denied")}  # fmt: skip
    # A reader cleared for Mật sees it, and the secrecy facet, but not the Tối mật one.
    page.context.clear_cookies()
    sign_in(page, site, "mat")
    page.goto(f"{site.url}/tim-kiem?q=mat")
    shown = {int(v) for v in page.locator("li.hit").evaluate_all(
        "els => els.map(e => e.dataset.doc)")}  # fmt: skip
    assert shown == {site.bi_mat, site.bao_cao, site.secret}
    expect(page.get_by_role("heading", name="Độ mật")).to_be_visible()
    assert "Tối mật" not in page.locator("aside.facets").inner_text()
    page.goto(f"{site.url}/van-ban/{site.secret}")
    expect(page.locator("h1")).to_contain_text(SECRET)


def test_clerks_see_flagged_fields_researchers_do_not(site: Site, page: Page) -> None:
    sign_in(page, site, "dan")
    page.goto(f"{site.url}/van-ban/{site.bi_mat}")
    assert page.locator("[data-flag]").count() == 0
    page.context.clear_cookies()
    sign_in(page, site, "thuky")
    page.goto(f"{site.url}/van-ban/{site.bi_mat}")
    flagged = "⚠ cần kiểm tra: viết tay, cần đọc lại trên bản quét"
    expect(page.locator("[data-flag]")).to_have_text(flagged)


def test_labels_language_and_a_phone_width(site: Site, page: Page) -> None:
    page.goto(site.url + "/dang-nhap")
    _every_field_labelled(page)
    sign_in(page, site, "mat")
    page.goto(site.url + "/tim-kiem?q=mat")
    _every_field_labelled(page)
    page.get_by_role("link", name="EN").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{site.url}/van-ban/{site.bi_mat}?q=mat")  # the cookie keeps English
    expect(page.get_by_role("heading", name="About the document")).to_be_visible()
    page.get_by_role("link", name="VI").click()
    expect(page.get_by_role("heading", name="Thông tin văn bản")).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 740})
    for path, name in (("/tim-kiem?q=mat", "tim-kiem-dien-thoai"),
                       (f"/van-ban/{site.bi_mat}?q=mat", "van-ban-dien-thoai")):  # fmt: skip
        page.goto(site.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 376, path
        shot(page, name)


def _every_field_labelled(page: Page) -> None:
    fields = page.locator("input:not([type=hidden]), select, textarea")
    assert fields.count() > 0
    for i in range(fields.count()):
        assert fields.nth(i).evaluate("el => el.labels.length") > 0, fields.nth(i).evaluate(
            "el => el.outerHTML"
        )


def test_pages_allow_only_their_own_scripts_and_styles(site: Site) -> None:
    with httpx.Client(base_url=site.url, headers={"origin": site.url}) as c:
        r = c.post("/dang-nhap", data={"name": "dan", "password": PASSWORD})
        r = c.get("/tim-kiem", params={"q": "mat"})
        policy = r.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe" not in policy
        assert "default-src 'none'" in policy
        page_html = c.get(f"/van-ban/{site.bi_mat}").text
        for html in (r.text, page_html):
            assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
            assert " style=" not in html and "<style" not in html
        api = c.get("/api/v1/session")
        assert api.headers["content-security-policy"].startswith("default-src 'none'")
        # A form POST from another site (or none) is refused, even with the session cookie.
        r = c.post("/dang-xuat", data={}, headers={"origin": "https://example.com"})
        assert r.status_code == 403
        assert c.get("/api/v1/session").status_code == 200


def test_the_url_is_the_whole_search_sort_pages_and_language(site: Site, stored: Archive) -> None:
    before = _seq(stored)
    with httpx.Client(base_url=site.url, headers={"origin": site.url}) as c:
        r = c.post("/dang-nhap?lang=en", data={"name": "dan", "password": "wrong"})
        assert r.status_code == 401 and "Wrong user name or password." in r.text
        c.cookies.clear()
        r = c.post("/dang-nhap", data={"name": "dan", "password": PASSWORD, "next": "/"})
        assert r.status_code == 303 and r.headers["location"] == "/"

        def order(**params: str) -> list[int]:
            html = c.get("/tim-kiem", params={"q": "mat", "lang": "vi", **params}).text
            return [int(d) for d in re.findall(r'data-doc="(\d+)"', html)]

        assert order(sap_xep="-ngay") == [site.bi_mat, site.bao_cao]  # 2023 before 2022
        assert order(sap_xep="ngay") == [site.bao_cao, site.bi_mat]
        assert order(trang="2") == []  # 20 a page: nothing on the second
        r = c.get("/tim-kiem", params={"q": "mat", "trang": "0"})
        assert r.status_code == 422 and "<html" in r.text  # an HTML error page, not JSON
        r = c.get("/tim-kiem", params={"q": "mat nam:2022 ky_so:khong"})
        assert re.findall(r'data-doc="(\d+)"', r.text) == [str(site.bao_cao)]
        r = c.get("/tim-kiem", params={"q": "(mat"})
        assert r.status_code == 400 and "thiếu dấu ngoặc đóng" in r.text
    done = [e for e in audit.entries(stored) if e.seq > before]
    assert ("sign_in", "failed", "dan") in {(e.action, e.outcome, e.user) for e in done}
    assert ("sign_in", "ok", "dan") in {(e.action, e.outcome, e.user) for e in done}
    searched = [e.detail.get("query") for e in done if e.action == "search" and e.user == "dan"]
    assert "mat nam:2022 ky_so:khong" in searched
