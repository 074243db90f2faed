"""Regenerate the committed demo batch samples/batch/ and its ground truth samples/truth/."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import img2pdf
from PIL import Image

# Run as a file (python scripts/make_samples.py) or as a module (python -m scripts.make_samples).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.synth import (
    SynthDocument,
    degrade,
    page_text,
    party_document,
    render_page,
)
from scripts.synth import state_document as state_doc

DPI = 300


@dataclass(frozen=True)
class Sample:
    """One file of the demo batch: which document, how each page was scanned, how it is stored."""

    file: str
    document: Callable[[], SynthDocument]
    save: Callable[[list[Image.Image], Path], None]
    stored_as: str
    """How the scan is encoded, for people reading the truth file."""
    degradations: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Keyword arguments of `degrade` per page; an empty dict leaves the page clean."""


def _tiff_g4(images: list[Image.Image], path: Path) -> None:
    # Bilevel with a fixed threshold: what a document scanner in black-and-white mode delivers.
    pages = [img.convert("L").point(lambda v: 255 if v > 150 else 0, mode="1") for img in images]
    pages[0].save(
        path, save_all=True, append_images=pages[1:], compression="group4", dpi=(DPI, DPI)
    )


def _jpeg(quality: int) -> Callable[[list[Image.Image], Path], None]:
    def save(images: list[Image.Image], path: Path) -> None:
        (img,) = images
        img.save(path, "JPEG", quality=quality, optimize=True, dpi=img.info["dpi"])

    return save


def _png(images: list[Image.Image], path: Path) -> None:
    (img,) = images
    img.save(path, "PNG", optimize=True, dpi=img.info["dpi"])


def _pdf(images: list[Image.Image], path: Path) -> None:
    # An image-only PDF as a scanning service delivers it: one JPEG per page, no text layer.
    jpegs = []
    for img in images:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=50, optimize=True, dpi=img.info["dpi"])
        jpegs.append(buf.getvalue())
    layout = img2pdf.get_fixed_dpi_layout_fun((DPI, DPI))
    # img2pdf's own writer, without a date, derives the /ID from the content: same input, same
    # bytes (the pikepdf writer draws a random /ID).
    pdf = img2pdf.convert(jpegs, layout_fun=layout, nodate=True, engine=img2pdf.Engine.internal)
    path.write_bytes(pdf)


MILD = {"skew_deg": 0.4, "blur": 0.8}
SCANNED = {"skew_deg": 1.0, "blur": 0.8, "noise": 4.0}

SAMPLES = (
    Sample(
        "01-de-an-10-DA-TU.tif",
        lambda: party_document(101, kind="ĐA", body="TU", number=10, province="Bắc Giang", pages=2),
        _tiff_g4,
        "multi-page TIFF, bilevel, CCITT Group 4, 300 dpi",
        ({}, {"skew_deg": -0.5}),
    ),
    Sample(
        "02-thong-bao-24-TB-UBKTTU.jpg",
        lambda: party_document(
            102, kind="TB", body="UBKTTU", number=24, province="Bắc Giang", do_khan="Khẩn"
        ),
        _jpeg(60),
        "JPEG greyscale, quality 60, 300 dpi",
        (SCANNED,),
    ),
    Sample(
        "03-ke-hoach-45-KH-HU.png",
        lambda: party_document(103, kind="KH", body="HU", number=45, province="Bắc Giang"),
        _png,
        "PNG greyscale, 300 dpi",
        ({},),
    ),
    Sample(
        "04-bao-cao-mat.pdf",
        lambda: party_document(
            104, kind="BC", body="TU", number=132, province="Bắc Giang", do_mat="Mật", pages=2
        ),
        _pdf,
        "image-only PDF, one greyscale JPEG (quality 50) per page, 300 dpi",
        (MILD, MILD),
    ),
    Sample(
        "05-quyet-dinh-15-QD-UBND.jpg",
        lambda: state_doc(105, kind="QĐ", body="UBND", number=15, province="Bắc Giang"),
        _jpeg(70),
        "JPEG colour, quality 70, 200 dpi",
        # A colour scan at 200 dpi with the red seal over the signature.
        ({"red_seal": True, "dpi": 200, "skew_deg": 0.6, "blur": 0.5},),
    ),
    Sample(
        "06-cong-van-trang-xoay.png",
        lambda: party_document(106, kind="CV", body="VPTU", province="Bắc Giang"),
        _png,
        "PNG greyscale, 300 dpi, page turned 90 degrees",
        # Fed into the scanner sideways, lid open: the cleanup must turn it and cut the border.
        ({"rotate": 90, "dark_border": True, "speckle": 0.0003},),
    ),
)


def make_samples(out: Path) -> list[Path]:
    """Write every sample file and its truth JSON under out/batch and out/truth."""
    batch, truth = out / "batch", out / "truth"
    for folder in (batch, truth):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file():
                old.unlink()
    written = []
    for index, sample in enumerate(SAMPLES):
        doc = sample.document()
        if len(sample.degradations) != len(doc.pages):
            raise ValueError(f"{sample.file}: {len(doc.pages)} pages, degradations for "
                             f"{len(sample.degradations)}")  # fmt: skip
        images = []
        for number, (page, how) in enumerate(zip(doc.pages, sample.degradations, strict=True), 1):
            img = render_page(page, dpi=DPI)
            if how:
                img = degrade(img, seed=index * 100 + number, **how)
            images.append(img)
        sample.save(images, batch / sample.file)
        record = {
            "file": sample.file,
            "pages": [
                {"source_page": n, "text": page_text(p), "degraded": bool(h), "degradation": h}
                for n, (p, h) in enumerate(zip(doc.pages, sample.degradations, strict=True), 1)
            ],
            "stored_as": sample.stored_as,
            "metadata": doc.metadata,
        }
        truth_file = truth / f"{sample.file}.json"
        truth_file.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
        written += [batch / sample.file, truth_file]
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("samples"), help="default: samples")
    args = parser.parse_args(argv)
    for path in make_samples(args.out):
        print(f"{path.stat().st_size:>9,}  {path}")


if __name__ == "__main__":
    main()
