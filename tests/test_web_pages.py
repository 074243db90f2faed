"""The researcher's pages in a real browser (Chromium via Playwright) against `sohoa serve`."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser import Site, shot, sign_in


def test_sign_in_and_out(site: Site, page: Page) -> None:
    page.goto(site.url + "/")
    assert "/dang-nhap" in page.url
    sign_in(page, site, "dan")
    shot(page, "tim-kiem-trong")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("status")).to_contain_text("đăng xuất")
