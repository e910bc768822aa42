"""A paper's largest figures, only when its license lets us repost them.

arXiv's default license (``arxiv.org/licenses/nonexclusive-distrib``) grants arXiv,
not us, the right to distribute, so figures are reposted only under a Creative
Commons license. No-derivatives licenses (``-nd``) are excluded: cutting a figure out
of the paper is arguably an adaptation. The reference digests reposted screenshots of
every paper regardless; this is where that stops.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
import re

from bot.summarizer.pdf import PDFIUM_LOCK
from bot.summarizer.pdf_worker import WorkerFailed, WorkerLimits, run_worker

log = logging.getLogger(__name__)

MAX_FIGURES = 4
MAX_PAGES = 30  # figures are in the body; appendices only add parsing time
MIN_SIDE = 200  # pixels; smaller images are icons and logos
MAX_ASPECT = 4.0  # wider or taller than this is a banner, a rule or a logo strip
_MAX_PIXELS = 40_000_000  # refuse absurd bitmaps instead of exhausting memory

_ALLOWED = re.compile(
    r"^https?://(?:www\.)?creativecommons\.org/(?:licenses/(?:by|by-sa|by-nc|by-nc-sa)/[\d.]+"
    r"|publicdomain/(?:zero/[\d.]+|mark/[\d.]+))/?$",
    re.IGNORECASE,
)


def allows_figures(license_url: str | None) -> bool:
    """True for CC BY, BY-SA, BY-NC, BY-NC-SA and public-domain dedications; False for anything else."""
    return bool(license_url and _ALLOWED.match(license_url.strip()))


async def figures_of(pdf: bytes, limits: WorkerLimits) -> list[bytes]:
    """:func:`extract_figures` in a child process under ``limits`` (see :mod:`bot.summarizer.pdf_worker`).

    Rendering images decodes untrusted streams, so it gets the same time and memory caps as text.
    """
    limits = dataclasses.replace(limits, max_pages=min(limits.max_pages, MAX_PAGES))
    try:
        answer = await run_worker("figures", pdf, limits)
        return [base64.b64decode(item) for item in answer]
    except (WorkerFailed, TypeError, ValueError) as exc:  # no figures is fine
        log.info("no figures extracted", extra={"error": str(exc)})
        return []


def extract_figures(
    pdf: bytes, *, max_figures: int = MAX_FIGURES, min_side: int = MIN_SIDE, max_aspect: float = MAX_ASPECT,
    max_pages: int = MAX_PAGES,
) -> list[bytes]:
    """PNG bytes of the largest embedded images, largest first. Never raises: no figures is fine.

    Runs in the calling process: the bot calls it through :func:`figures_of`.
    """
    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        candidates: list[tuple[int, int, int]] = []  # (area, page, object index)
        with PDFIUM_LOCK:
            doc = pdfium.PdfDocument(pdf)
            try:
                for page_index in range(min(len(doc), max_pages)):
                    page = doc[page_index]
                    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3))
                    for obj_index, image in enumerate(images):
                        try:
                            width, height = image.get_px_size()
                        except Exception:  # noqa: BLE001 - a broken image object is skipped
                            continue
                        if _usable(width, height, min_side, max_aspect):
                            candidates.append((width * height, page_index, obj_index))
                candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
                figures: list[bytes] = []
                for _area, page_index, obj_index in candidates:
                    if len(figures) >= max_figures:
                        break
                    png = _png(doc[page_index], obj_index, pdfium_c)
                    if png is not None:
                        figures.append(png)
                return figures
            finally:
                doc.close()
    except Exception as exc:  # noqa: BLE001
        log.info("no figures extracted", extra={"error": repr(exc)})
        return []


def _usable(width: int, height: int, min_side: int, max_aspect: float) -> bool:
    if min(width, height) < min_side or width * height > _MAX_PIXELS:
        return False
    return max(width, height) / min(width, height) <= max_aspect


def _png(page: object, obj_index: int, pdfium_c: object) -> bytes | None:
    try:
        images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3))  # type: ignore[attr-defined]
        bitmap = images[obj_index].get_bitmap(render=False)
        image = bitmap.to_pil()
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    except Exception as exc:  # noqa: BLE001
        log.info("figure skipped", extra={"error": repr(exc)})
        return None
