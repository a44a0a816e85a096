"""Page furniture and small building blocks for lowrouter's PDF documents (fpdf2, A4 portrait, millimetres).

Everything here is pure: no database, no UI. The DejaVu fonts ship in data/fonts so "€", "£", "¥" and names
such as "Zoë Ærøskøbing" render without a system font or network access.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from services import units
from services.locales import DEFAULT
from services.money import format_money

FONT_DIR = Path(__file__).resolve().parents[2] / 'data' / 'fonts'
FONT = 'DejaVu'
PRODUCT = 'lowrouter'
LOCALE = 'en_US'  # dates and words: documents are in English
_numbers: ContextVar[str] = ContextVar('document_numbers_locale', default=DEFAULT)


@contextmanager
def numbers_in(locale: str) -> Iterator[None]:
    """While a document is laid out: its amounts and figures read in `locale` (the account's)."""
    token = _numbers.set(locale)
    try:
        yield
    finally:
        _numbers.reset(token)


MARGIN = 20.0
TEXT = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (210, 214, 220)
SHADE = (243, 244, 246)
ALERT = (176, 42, 55)
PAGES = '\ue000'  # private-use character replaced by the page count when the file is written

Row = Sequence[str]


class DocumentPDF(FPDF):
    """A4 page with the product name and a light grey rule on top, a note and 'Page x of y' at the bottom."""

    def __init__(self, *, title: str, kind: str, footer_note: str, created: datetime) -> None:
        super().__init__(orientation='P', unit='mm', format='A4')
        self.kind = kind
        self.footer_note = footer_note
        self.add_font(FONT, '', str(FONT_DIR / 'DejaVuSans.ttf'))
        self.add_font(FONT, 'B', str(FONT_DIR / 'DejaVuSans-Bold.ttf'))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=24)
        # Fixed metadata: with a fixed creation date the whole file (and fpdf2's content-hash /ID) is reproducible.
        self.set_creation_date(created)
        self.set_producer(PRODUCT)
        self.set_creator(PRODUCT)
        self.set_author(PRODUCT)
        self.set_title(title)
        self.set_lang('en')
        self.set_text_color(*TEXT)
        # A one-character alias reserves the width of one digit, so 'Page 1 of 2' sits flush with the margin.
        self.alias_nb_pages(PAGES)
        self.add_page()

    def header(self) -> None:
        self.set_xy(MARGIN, 13)
        self.set_font(FONT, 'B', 14)
        self.set_text_color(*TEXT)
        self.cell(self.epw / 2, 7, PRODUCT)
        self.set_font(FONT, '', 9)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 7, self.kind, align='R')
        self.set_draw_color(*RULE)
        self.set_line_width(0.3)
        self.line(MARGIN, 23, self.w - MARGIN, 23)
        self.set_text_color(*TEXT)
        self.set_y(31)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, self.get_y() - 1.5, self.w - MARGIN, self.get_y() - 1.5)
        self.set_font(FONT, '', 7.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw * 0.8, 5, self.footer_note)
        self.cell(self.epw * 0.2, 5, f'Page {self.page_no()} of {PAGES}', align='R')
        self.set_text_color(*TEXT)


def title(pdf: FPDF, text: str, *, alert: bool = False) -> None:
    pdf.set_font(FONT, 'B', 20)
    pdf.set_text_color(*(ALERT if alert else TEXT))
    pdf.cell(0, 10, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*TEXT)
    pdf.ln(3)


def banner(pdf: FPDF, text: str) -> None:
    """A tinted, bordered notice across the page (used to mark drafts)."""
    pdf.set_font(FONT, '', 9)
    pdf.set_draw_color(*ALERT)
    pdf.set_fill_color(252, 236, 238)
    pdf.set_text_color(*ALERT)
    pdf.multi_cell(0, 5, text, border=1, fill=True, padding=(2.5, 3), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*TEXT)
    pdf.set_fill_color(255)
    pdf.ln(5)


def key_values(pdf: FPDF, rows: Sequence[tuple[str, str]], *, x: float, width: float, label_width: float) -> float:
    """Bold labels with their values beside them, from the current y; returns the y below the block."""
    for label, value in rows:
        pdf.set_x(x)
        pdf.set_font(FONT, 'B', 9)
        pdf.cell(label_width, 5.5, label)
        pdf.set_font(FONT, '', 9)
        pdf.multi_cell(width - label_width, 5.5, value, align='L', new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def two_blocks(pdf: FPDF, left: Sequence[tuple[str, str]], right: Sequence[tuple[str, str]]) -> None:
    """Document facts on the left half, the account holder on the right half."""
    top = pdf.get_y()
    split = pdf.epw * 0.58
    bottom_left = key_values(pdf, left, x=MARGIN, width=split - 6, label_width=24)
    pdf.set_y(top)
    bottom_right = key_values(pdf, right, x=MARGIN + split, width=pdf.epw - split, label_width=20)
    pdf.set_y(max(bottom_left, bottom_right) + 7)


def section(pdf: FPDF, text: str, *, keep_with: float = 30) -> None:
    """A bold section heading, moved to the next page if it would sit alone at the bottom."""
    if pdf.will_page_break(keep_with + 9):
        pdf.add_page()
    pdf.set_font(FONT, 'B', 12)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)


def data_table(
    pdf: FPDF,
    headings: Row,
    rows: Sequence[Row],
    *,
    widths: Sequence[float],
    align: Sequence[str],
    total: Row | None = None,
) -> None:
    """A ruled table whose heading row repeats on every page it spans; `total` is an optional bold last row."""
    pdf.set_font(FONT, '', 9)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple(align),
        borders_layout='HORIZONTAL_LINES',
        headings_style=FontFace(emphasis='BOLD', fill_color=SHADE),
        line_height=4.4,
        padding=(1.2, 2),
        repeat_headings=1,
        width=pdf.epw,
    ) as table:
        table.row(headings)
        for row in rows:
            table.row(row)
        if total is not None:
            table.row(total, style=FontFace(emphasis='BOLD'))
    pdf.ln(6)


def summary(pdf: FPDF, rows: Sequence[tuple[str, str]], *, emphasis_from: int) -> None:
    """Label/amount pairs in the right half; rows from `emphasis_from` on are bold with a rule above the first."""
    width = pdf.epw * 0.5
    x = pdf.w - MARGIN - width
    if pdf.will_page_break(7 * len(rows) + 6):
        pdf.add_page()
    inner, pdf.c_margin = pdf.c_margin, 3  # the same inset as the shaded total below
    for i, (label, amount) in enumerate(rows):
        bold = i >= emphasis_from
        if i == emphasis_from:
            pdf.set_draw_color(*RULE)
            pdf.line(x, pdf.get_y() + 0.8, x + width, pdf.get_y() + 0.8)
            pdf.ln(1.6)
        pdf.set_x(x)
        pdf.set_font(FONT, 'B' if bold else '', 10 if bold else 9)
        pdf.cell(width * 0.6, 6.5, label)
        pdf.cell(width * 0.4, 6.5, amount, align='R', new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.c_margin = inner
    pdf.ln(6)


def highlight(pdf: FPDF, label: str, amount: str) -> None:
    """A shaded bar with a bold label and a right-aligned amount (the headline total)."""
    width = pdf.epw * 0.5
    pdf.set_x(pdf.w - MARGIN - width)
    pdf.set_fill_color(*SHADE)
    pdf.set_font(FONT, 'B', 11)
    inner, pdf.c_margin = pdf.c_margin, 3
    pdf.cell(width * 0.6, 9, label, fill=True)
    pdf.cell(width * 0.4, 9, amount, fill=True, align='R', new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.c_margin = inner
    pdf.set_fill_color(255)
    pdf.ln(8)


def note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, '', 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4.2, text, align='L', new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*TEXT)


# -- text for reading -------------------------------------------------------------------------------------------


def money(micros: int, currency: str) -> str:
    """An amount of a document in the currency's own decimals, rounded half up (see services/money.py). The
    documents print rounded amounts that add up: see round_to_currency where they are laid out."""
    return format_money(micros, currency, locale=_numbers.get())


def day_text(day: date) -> str:
    return format_date(day, 'd MMMM y', locale=LOCALE)


def moment_text(moment: datetime) -> str:
    """A local datetime as '3 November 2026, 09:15'."""
    return f'{day_text(moment.date())}, {moment:%H:%M}'


def count_text(n: int) -> str:
    return units.count_text(n, _numbers.get())


def number_locale() -> str:
    """The locale of the document being laid out."""
    return _numbers.get()


def label_text(word: str) -> str:
    """'bank_transfer' -> 'Bank transfer'."""
    text = word.replace('_', ' ').strip()
    return text[:1].upper() + text[1:]


def _scale(value: float, big_unit: str, small_unit: str) -> tuple[float, str, int]:
    """Divisor, unit and decimals that make `value` readable (the same rules as the dashboard)."""
    size = abs(value)
    if size >= 1000:
        return 1000, big_unit, 2
    return 1, small_unit, 0 if size >= 10 else 2 if size >= 0.1 else 3


def _span_text(value: float, low: float, high: float, big_unit: str, small_unit: str) -> str:
    """'1.23 kWh (range 0.80–2.10 kWh)': the range uses the unit and decimals of the central value."""
    divisor, unit, decimals = _scale(value, big_unit, small_unit)
    central, lo, hi = (units.fixed_text(x / divisor, decimals, _numbers.get()) for x in (value, low, high))
    return f'{central} {unit} (range {lo}–{hi} {unit})'


def energy_span_text(wh: float, low: float, high: float) -> str:
    return _span_text(wh, low, high, 'kWh', 'Wh')


def carbon_span_text(grams: float, low: float, high: float) -> str:
    return _span_text(grams, low, high, 'kg CO2e', 'g CO2e')
