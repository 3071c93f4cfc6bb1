"""The committed quick report as a reader gets it: short, every claim supported by the data it was rendered from,
the machine named once (its provenance section), every contents link alive."""
import re
import zlib
from pathlib import Path
from urllib.parse import unquote

from helpers.report.claims import claims_in

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "report" / "quick"
MAX_PAGES = 20


def test_every_claim_in_the_quick_report_is_supported():
    claims, unsupported = claims_in((REPORT / "report.html").read_text())
    assert claims >= 30, f"only {claims} checked claims in the report"
    assert unsupported == 0, f"{unsupported} of {claims} claims are not supported by the stored results"


def pdf_pages(pdf: bytes) -> int:
    """The page count of the page tree's root (/Type /Pages ... /Count n), looked for in the file and in its
    compressed object streams (WeasyPrint writes them)."""
    texts = [pdf] + [zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
                     if _inflates(m.group(1))]
    counts = [int(c) for t in texts for c in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", t)]
    counts += [int(c) for t in texts for c in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", t)]
    return max(counts, default=0)


def _inflates(data: bytes) -> bool:
    try:
        zlib.decompress(data)
        return True
    except zlib.error:
        return False


def test_the_short_report_fits_its_page_budget():
    pages = pdf_pages((REPORT / "report.pdf").read_bytes())
    assert 0 < pages <= MAX_PAGES, pages


def test_the_machine_is_named_only_in_the_provenance_section():
    page = (REPORT / "report.html").read_text()
    start = page.index('id="Provenance"')
    end = page.index('id="The-lab-book"')
    outside = [m.start() for m in re.finditer(r"\b(?:CPU|GPU): ", page) if not start < m.start() < end]
    assert not outside, [page[i - 80:i + 40] for i in outside[:3]]
    assert re.search(r"\b(?:CPU|GPU): ", page[start:end])


def test_every_contents_link_has_its_target():
    page = (REPORT / "report.html").read_text()
    links = re.findall(r'href="#([^"]+)"', page)
    assert links and all(f'id="{unquote(link)}"' in page for link in links)
