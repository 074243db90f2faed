"""Born-digital test PDFs: Vietnamese text layers (Unicode, TCVN3, VNI), garbage OCR layers over
scans, and signatures made with a throw-away certificate authority (for tests and benchmarks).

Everything here is generated: the texts are synthetic administrative prose (scripts.synth), the
keys and certificates are made on the spot and never leave the folder they are written to.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw

from scripts.synth import corpus_page_text, font_paths

HEADER = (
    "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 15/QĐ-UBND Quảng Ngãi, ngày 08 tháng 01 năm 2025",
    "QUYẾT ĐỊNH",
)

# A TCVN3 (.VnTime) rendering of the header as a PDF reader extracts it (Windows-1252).
TCVN3_HEADER = (
    "ñy ban nh©n d©n tØnh qu¶ng ng·i",
    "Céng hßa x· héi chñ nghÜa ViÖt Nam",
    "§éc lËp - Tù do - H¹nh phóc",
    "QuyÕt ®Þnh vÒ viÖc giao nhiÖm vô kiÓm tra c«ng t¸c",
    "Trªn c¬ së ®Ò nghÞ cña Së Néi vô vµ c¸c c¬ quan liªn quan",
    "Giao cho c¸c së ngµnh phèi hîp thùc hiÖn ®óng quy ®Þnh",
)
TCVN3_DECODED = (
    "ủy ban nhân dân tỉnh quảng ngãi",
    "Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc",
    "Quyết định về việc giao nhiệm vụ kiểm tra công tác",
    "Trên cơ sở đề nghị của Sở Nội vụ và các cơ quan liên quan",
    "Giao cho các sở ngành phối hợp thực hiện đúng quy định",
)

# What a poor OCR tool left over a scan (cf. ../shared/real/scans/danang_vietadmin_data_1.pdf).
GARBAGE = (
    "UBND THANH PHO DA NANG CONG Hcok xA HQI CHiJ NGHiA VIVT NAM SO GIAO DVC vA DA° TAO "
    "Dc 1p - Ty do - Hph phtic S6: 463Y SGDDT -CTrTT V/v bao dam Tt hQc sinh trirOng "
    "thirc hin cOng tac d6i vOri cac cci sO giáo dic tiäng each m.ng dfrc lôi song kiên thirc "
    "pháp 1ut va p thi'rc cOng dan cho h9c sinh trên dja bàn thành phô theo Quyêt djnh "
)


def page_texts(pages: int, *, seed: int = 0, words: int = 320) -> list[str]:
    """Text of each page: the header on the first, then synthetic administrative prose."""
    out = []
    for n in range(pages):
        body = corpus_page_text(seed * 1000 + n, words)
        out.append("\n".join(HEADER) + "\n" + body if n == 0 else body)
    return out


def _fpdf() -> FPDF:
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(True, margin=56)
    pdf.set_margins(70, 56, 56)
    fonts = font_paths("serif")
    pdf.add_font("Serif", "", str(fonts["regular"]))
    return pdf


def vietnamese_pdf(path: Path, texts: Sequence[str]) -> Path:
    """A born-digital PDF: each text on its own page, Liberation Serif embedded with Unicode."""
    pdf = _fpdf()
    for text in texts:
        pdf.add_page()
        pdf.set_font("Serif", size=12)
        pdf.multi_cell(0, 16, text)
    pdf.output(str(path))
    return path


def legacy_pdf(path: Path, lines: Sequence[str], *, font_name: str | None = ".VnTime") -> Path:
    """A PDF whose text layer is in a legacy encoding: the bytes drawn with a Windows-1252 font,
    renamed `font_name` (None keeps "Times-Roman", so only the text itself tells)."""
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.set_font("Times", size=13)
    for line in list(lines) * 4:
        pdf.cell(0, 18, line, new_x="LMARGIN", new_y="NEXT")
    buf = io.BytesIO(pdf.output())
    with pikepdf.open(buf) as doc:
        if font_name is not None:
            for page in doc.pages:
                for font in page.Resources.Font.values():
                    font.BaseFont = pikepdf.Name("/" + font_name)
        doc.save(path)
    return path


def scan_image(width: int = 1240, height: int = 1754) -> Image.Image:
    """A page-sized greyscale image with dark strokes, standing in for a scanned page."""
    image = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(image)
    for y in range(200, height - 200, 40):
        draw.line((150, y, width - 150, y), fill=40, width=6)
    return image


def scan_with_layer(path: Path, text: str, *, invisible: bool) -> Path:
    """A scanned page (full-page image) with a text layer over it: another tool's OCR."""
    pdf = _fpdf()
    pdf.add_page()
    buf = io.BytesIO()
    scan_image().save(buf, format="PNG")
    pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)
    pdf.set_font("Serif", size=11)
    if invisible:
        pdf.text_mode = TextMode.INVISIBLE
    pdf.multi_cell(0, 14, text)
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------------------------------------
# Signing with a throw-away certificate authority (pyHanko)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    """A root and a signer certificate it issued, with the signer's key, as PEM files."""

    root_pem: Path
    signer_pem: Path
    key_pem: Path


def make_ca(
    folder: Path,
    *,
    name: str = "Sở Nội vụ tỉnh Quảng Ngãi",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    root_cn: str = "sohoa test root CA",
) -> TestCA:
    """A root CA and a signer certificate (common name and organisation `name`), valid from
    `not_before` to `not_after` (default: yesterday to next year)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    start = not_before or now - dt.timedelta(days=1)
    end = not_after or now + dt.timedelta(days=365)
    folder.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, root_cn)])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(start, now) - dt.timedelta(days=3650))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca = TestCA(folder / "root.pem", folder / "signer.pem", folder / "signer.key")
    ca.root_pem.write_bytes(root.public_bytes(pem))
    ca.signer_pem.write_bytes(signer.public_bytes(pem))
    ca.key_pem.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca


def sign_pdf(
    src: Path,
    out: Path,
    ca: TestCA,
    *,
    field: str = "Signature1",
) -> Path:
    """Sign `src` into `out` (PAdES, an incremental update), as the signer of `ca`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(ca.key_pem), str(ca.signer_pem))
    if signer is None:
        raise RuntimeError("pyHanko could not load the test key")
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
    with src.open("rb") as f:
        writer = IncrementalPdfFileWriter(f, strict=False)
        buf = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    out.write_bytes(buf.getvalue())
    return out


def append_page_text(src: Path, out: Path) -> Path:
    """An incremental update after signing that changes what page 1 shows."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with src.open("rb") as f:
        writer = IncrementalPdfFileWriter(f, strict=False)
        page = writer.root["/Pages"]["/Kids"][0].get_object()

        content = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 72 Td (changed) Tj ET")
        ref = writer.add_object(content)
        contents = page["/Contents"]
        arr = (
            generic.ArrayObject([*contents, ref])
            if isinstance(contents, generic.ArrayObject)
            else generic.ArrayObject([contents, ref])
        )
        page["/Contents"] = arr
        writer.update_container(page)
        buf = io.BytesIO()
        writer.write(buf)
    out.write_bytes(buf.getvalue())
    return out


def tamper_one_byte(src: Path, out: Path) -> Path:
    """The signed file with one byte of the signed content changed (same length): a letter of
    the producer's name in the document information, so the file still opens."""
    data = bytearray(src.read_bytes())
    at = data.index(b"/Producer (") + len(b"/Producer (")
    data[at] = ord("Q") if data[at] != ord("Q") else ord("R")
    out.write_bytes(bytes(data))
    return out


# ---------------------------------------------------------------------------------------------
# Office documents
# ---------------------------------------------------------------------------------------------

_ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def odt_file(path: Path, paragraphs: Sequence[str]) -> Path:
    """A minimal OpenDocument text file (what LibreOffice Writer saves), one paragraph a line."""
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text"
        )  # stored first and uncompressed, as the format wants
        z.writestr("META-INF/manifest.xml", _ODT_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
