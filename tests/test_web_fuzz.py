"""A fuzz run of the API from its own OpenAPI document (schemathesis) on a small archive:
whatever the input, no server error, no traceback, and never the Mật document's phrase to a
public user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from archive_store import accounts
from archive_store.accounts import Role
from sohoa.access import AccessLevel
from tests.web_archive import SECRET, Built, Served, build

EXAMPLES = 8
"""Examples per operation that fit the schema (half as many that do not): ~25 operations, so
a run takes ~30 s on this machine."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("web-fuzz"))


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[Served]:
    with Served(built.root) as s:
        yield s


@pytest.fixture(scope="module")
def bearers(served: Served) -> dict[str, str]:
    """Tokens of an admin with the top clearance and of a public clerk (no CSRF for tokens)."""
    archive = served.app.state.sohoa.archive
    out = {}
    for name, role, level in (("fuzz-admin", Role.admin, AccessLevel.tuyet_mat),
                              ("fuzz-public", Role.clerk, AccessLevel.cong_khai)):  # fmt: skip
        accounts.add_user(archive, name, name, role, level, "mat-khau-rat-dai-1")
        out[name] = accounts.add_token(archive, name, "fuzz", 1)[0]
    return out


@pytest.fixture(scope="module")
def api_schema(served: Served, bearers: dict[str, str]) -> object:
    import httpx

    raw = httpx.get(
        served.url + "/api/v1/openapi.json",
        headers={"authorization": f"Bearer {bearers['fuzz-admin']}"},
    ).json()
    assert SECRET not in str(raw)
    return schemathesis.openapi.from_dict(raw)


def test_no_server_error_whatever_the_input(
    api_schema: schemathesis.BaseSchema, served: Served, bearers: dict[str, str]
) -> None:
    # schemathesis' own pytest plugin does not run under this pytest; its strategies do.
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 20
    runs = [(op, mode) for op in operations for mode in GenerationMode]
    for operation, mode in runs:
        examples = EXAMPLES if mode == GenerationMode.POSITIVE else EXAMPLES // 2

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def run(case: schemathesis.Case) -> None:
            for who in ("fuzz-admin", "fuzz-public"):
                response = case.call(
                    base_url=served.url, headers={"authorization": f"Bearer {bearers[who]}"}
                )
                body = response.content  # images and PDFs too
                assert response.status_code < 500, (case.method, case.path, body[:500])
                assert b"Traceback" not in body
                if who == "fuzz-public":
                    echo = str(case.query or "").encode()
                    assert SECRET.encode() not in body.replace(echo, b"")

        try:
            run()
        except Unsatisfiable:
            # An operation without parameters has no input that breaks its schema.
            assert mode == GenerationMode.NEGATIVE
