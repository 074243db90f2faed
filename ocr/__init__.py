"""ocr: loading scans, image cleanup, Tesseract runs, OCR quality and PDF/A assembly."""
