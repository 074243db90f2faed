"""The batch manifest: what it holds, and errors that name the key and the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.manifest import Manifest, find_manifest, load_manifest
from sohoa.access import AccessLevel
from sohoa.errors import ExitCode, ManifestError

FULL = """\
# Hồ sơ kiểm tra của Ủy ban Kiểm tra Tỉnh ủy
phong = "TU-BG"
muc_luc = 1
hop = "12"
ho_so_code = "TU-BG.01.12.05"
ho_so_title = "Hồ sơ kiểm tra Ban Thường vụ Huyện ủy Lục Nam năm 2023"
thoi_gian = "2023-2024"
thoi_han_bao_quan = "Vĩnh viễn"
che_do_su_dung = "Hạn chế sử dụng"
do_mat_mac_dinh = "Mật"

[page_ranges]
"hoso05.pdf" = [[1, 3], [4, 7], [8, 8]]
"anh/trang.tif" = ["1-2", "3"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sohoa.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path, text))
    assert caught.value.exit_code == ExitCode.bad_manifest
    return caught.value


def test_full_manifest(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, FULL))
    assert (m.phong, m.muc_luc, m.hop, m.ho_so_code) == ("TU-BG", "1", "12", "TU-BG.01.12.05")
    assert m.ho_so_title == "Hồ sơ kiểm tra Ban Thường vụ Huyện ủy Lục Nam năm 2023"
    assert (m.thoi_gian, m.thoi_han_bao_quan) == ("2023-2024", "Vĩnh viễn")
    assert m.che_do_su_dung == "Hạn chế sử dụng"
    assert m.do_mat_mac_dinh == "Mật" and m.access_level is AccessLevel.mat
    assert m.tuyet_mat_approved is False
    assert m.page_ranges == {
        "hoso05.pdf": ((1, 3), (4, 7), (8, 8)),
        "anh/trang.tif": ((1, 2), (3, 3)),
    }
    assert json.loads(json.dumps(m.as_dict()))["page_ranges"]["hoso05.pdf"][1] == [4, 7]


def test_folders_are_named_as_the_batch_lists_them(tmp_path: Path) -> None:
    text = 'moi_tep_mot_van_ban = true\n[page_ranges]\n"./anh/" = [[1, 2]]\n"./" = [[1, 1]]\n'
    m = load_manifest(write(tmp_path, text))
    assert m.page_ranges == {"anh": ((1, 2),), ".": ((1, 1),)}
    assert m.moi_tep_mot_van_ban is True
    err = error(tmp_path, "\nmoi_tep_mot_van_ban = 1\n")
    assert "dòng 2" in err.vi and "moi_tep_mot_van_ban" in err.vi


def test_every_key_is_optional(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, ""))
    assert m == Manifest(path=m.path)
    assert m.access_level is AccessLevel.cong_khai and m.page_ranges == {}


@pytest.mark.parametrize(
    ("written", "stored"),
    [("20", "20 năm"), ('"10 năm"', "10 năm"), ('"vinh vien"', "Vĩnh viễn")],
)
def test_retention_forms(tmp_path: Path, written: str, stored: str) -> None:
    assert (
        load_manifest(write(tmp_path, f"thoi_han_bao_quan = {written}\n")).thoi_han_bao_quan
        == stored
    )


@pytest.mark.parametrize(
    ("written", "stored"),
    [('"toi-mat"', "Tối mật"), ('"Tuyệt mật"', "Tuyệt mật"), ('"Công khai"', None)],
)
def test_default_secrecy_forms(tmp_path: Path, written: str, stored: str | None) -> None:
    text = f"do_mat_mac_dinh = {written}\ntuyet_mat_approved = true\n"
    assert load_manifest(write(tmp_path, text)).do_mat_mac_dinh == stored


def test_unknown_key_names_key_line_and_suggestion(tmp_path: Path) -> None:
    err = error(tmp_path, 'phong = "TU"\n\nho_so_tittle = "x"\n')
    assert err.vi.startswith("sohoa.toml, dòng 3: khóa `ho_so_tittle`: không có khóa này.")
    assert "`ho_so_title`" in err.vi
    assert err.en.startswith("sohoa.toml, line 3: key `ho_so_tittle`: unknown key.")


def test_wrong_type_names_key_and_line(tmp_path: Path) -> None:
    err = error(tmp_path, 'phong = "TU"\nhop = true\n')
    assert err.en == "sohoa.toml, line 2: key `hop`: must be a non-empty string, not True."
    assert (
        err.vi == "sohoa.toml, dòng 2: khóa `hop`: phải là một chuỗi không rỗng, không phải True."
    )


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('\n\ndo_mat_mac_dinh = "bí mật"\n', "do_mat_mac_dinh", 3),
        ('che_do_su_dung = "tự do"\n', "che_do_su_dung", 1),
        ('phong = "A"\nthoi_han_bao_quan = "mãi mãi"\n', "thoi_han_bao_quan", 2),
        ('tuyet_mat_approved = "có"\n', "tuyet_mat_approved", 1),
        ("page_ranges = 3\n", "page_ranges", 1),
    ],
)
def test_invalid_values_name_key_and_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    err = error(tmp_path, text)
    assert err.en.startswith(f"sohoa.toml, line {line}: key `{key}`: ")
    assert err.vi.startswith(f"sohoa.toml, dòng {line}: khóa `{key}`: ")


def test_overlapping_page_ranges_name_the_file_and_its_line(tmp_path: Path) -> None:
    text = '[page_ranges]\n"a.pdf" = [[1, 3]]\n"hoso.pdf" = [[1, 4], [3, 6]]\n'
    err = error(tmp_path, text)
    assert err.en.startswith("sohoa.toml, line 3: key `hoso.pdf`: range [3, 6] overlaps")
    assert "chồng lên" in err.vi


@pytest.mark.parametrize("ranges", ["[[0, 2]]", "[[3, 2]]", '["x"]', "[]", "[[1, 2, 3]]", "[true]"])
def test_bad_page_ranges(tmp_path: Path, ranges: str) -> None:
    err = error(tmp_path, f'[page_ranges]\n"hoso.pdf" = {ranges}\n')
    assert err.en.startswith("sohoa.toml, line 2: key `hoso.pdf`: ")


def test_unquoted_file_name_with_a_dot(tmp_path: Path) -> None:
    err = error(tmp_path, "[page_ranges]\nhoso.pdf = [[1, 2]]\n")
    assert "quote file names" in err.en and "line 2" in err.en


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    err = error(tmp_path, 'phong = "TU"\nhop = \n')
    assert err.en.startswith("sohoa.toml, line 2: invalid TOML")
    assert err.vi.startswith("sohoa.toml, dòng 2: sai cú pháp TOML")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "sohoa.toml"
    path.write_bytes(b"phong = \xff\n")
    with pytest.raises(ManifestError, match="UTF-8"):
        load_manifest(path)


def test_find_manifest(tmp_path: Path) -> None:
    assert find_manifest(tmp_path) is None
    path = write(tmp_path, "")
    assert find_manifest(tmp_path) == path
    scan = tmp_path / "hoso.pdf"
    scan.write_bytes(b"%PDF")
    assert find_manifest(scan) == path  # a single scanned file: its folder's manifest
