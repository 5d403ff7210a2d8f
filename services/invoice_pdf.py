"""The PDF of an invoice or a credit note, in the current language (call inside force_locale).

What a Danish invoice must carry (momsloven § 52 a, bogføringsloven): issue date, a sequential
number, the seller's CVR, both parties' names and addresses, what was supplied and when,
amounts excluding VAT, VAT rate and amount per rate, and exempt lines apart. All of it is here.

Speed: the lines are drawn with plain canvas calls by small flowables of our own, not with
Paragraphs and Tables (those cost about 1 ms a line), and a line's words are formatted once per
document. Memory: each subscription is one flowable that splits between lines, so a 4,000-line
invoice costs per page what a short one does. "Page x of y" needs the page count, so the canvas
keeps each page's drawing until the end (a few kB a page).
"""
import functools
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from flask_babel import format_date, format_percent, get_locale
from flask_babel import gettext as _
from peewee import JOIN
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate, Spacer
from werkzeug.exceptions import NotFound

from models import Account, CreditNote, CreditNoteLine, Invoice, InvoiceLine, Subscription

from . import billing, invoice_text
from .formatting import phone
from .money import format_money

PAGE_W, PAGE_H = A4
LEFT = RIGHT = 18 * mm
TOP, BOTTOM = 16 * mm, 20 * mm
WIDTH = PAGE_W - LEFT - RIGHT
# The lines' columns: description | details (quantity, part of month, period) | VAT | amount
X_DETAILS = 76 * mm
W_TITLE, W_DETAILS = X_DETAILS - 8, 60 * mm
X_VAT = WIDTH - 32 * mm  # right edges
X_AMOUNT = WIDTH - 4
BRAND, INK, MUTED, RULE, BAND = (HexColor(c) for c in ("#0a3d7a", "#1a1a1a", "#5b6470", "#d5d9de", "#eef2f7"))
REGULAR, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
RASTER_LOGOS = (".png", ".jpg", ".jpeg", ".gif")


# -- the document's data ----------------------------------------------------------------------------

@dataclass
class _Line:
    title: list  # wrapped rows
    details: list  # wrapped rows of the small print
    vat: str
    amount: str
    exempt: bool


@dataclass
class _Group:
    heading: str
    note: str | None = ""  # the subscription's invoice note; None: its lines differ, each shows its own
    lines: list = field(default_factory=list)
    subtotal: str = ""


def load(kind, obj_id):
    """Everything the PDF shows, read with three queries. :raise 404: no such document."""
    model = Invoice if kind == "invoice" else CreditNote
    doc = model.select(model, Account.number).join(Account).where(model.id == obj_id).first()
    if doc is None:
        raise NotFound()
    credited = None
    if kind == "credit_note" and doc.invoice_id:
        credited = Invoice.select(Invoice.number, Invoice.issued_on).where(Invoice.id == doc.invoice_id).first()
    data = SimpleNamespace(kind=kind, doc=doc, account_number=doc.account.number, credited=credited,
                           seller=billing.seller())
    data.groups, data.vat = _groups(data)
    return data


def line_rows(kind, doc_id):
    """A document's lines with what their words need, in document order."""
    holder = (Subscription.holder_name, Subscription.number.alias("sub_number"))
    if kind == "invoice":
        return (InvoiceLine.select(
            InvoiceLine.subscription, InvoiceLine.kind, InvoiceLine.description, InvoiceLine.quantity,
            InvoiceLine.amount, InvoiceLine.period_start, InvoiceLine.period_end, InvoiceLine.unit_price,
            InvoiceLine.vat_rate, InvoiceLine.note, *holder)
            .join(Subscription, JOIN.LEFT_OUTER, on=(InvoiceLine.subscription == Subscription.id))
            .where(InvoiceLine.invoice == doc_id).order_by(InvoiceLine.id))
    # A credit line copies an invoice line: its period, price and note are that line's.
    return (CreditNoteLine.select(
        CreditNoteLine.subscription, CreditNoteLine.kind, CreditNoteLine.description, CreditNoteLine.quantity,
        CreditNoteLine.amount, InvoiceLine.period_start, InvoiceLine.period_end, InvoiceLine.unit_price,
        CreditNoteLine.vat_rate, InvoiceLine.note, *holder)
        .join(InvoiceLine, JOIN.LEFT_OUTER, on=(CreditNoteLine.invoice_line == InvoiceLine.id))
        .switch(CreditNoteLine)
        .join(Subscription, JOIN.LEFT_OUTER, on=(CreditNoteLine.subscription == Subscription.id))
        .where(CreditNoteLine.credit_note == doc_id).order_by(CreditNoteLine.id))


def _groups(data):
    """Lines per subscription in the order the billing run wrote them (the account's own fees
    last), and the VAT per rate of all of them."""
    words = _Words(data)
    groups, amounts, sums = [], [], []
    current, key = None, object()
    for row in line_rows(data.kind, data.doc.id).dicts().iterator():
        line = SimpleNamespace(**row)
        if line.subscription != key or current is None:
            key = line.subscription
            heading = (_("Account %(number)s", number=data.account_number) if key is None
                       else f"{line.holder_name}  ·  {phone(line.sub_number)}")
            current = _Group(heading, note=line.note or "")
            groups.append(current)
            sums.append(0)
        elif current.note is not None and current.note != (line.note or ""):
            current.note = None
        current.lines.append(line)
        sums[-1] += line.amount
        amounts.append((line.amount, line.vat_rate))
    for group, total in zip(groups, sums):
        group.lines = [words.line(line, group.note is None) for line in group.lines]
        group.subtotal = words.money(total)
    return groups, billing.vat_by_rate(amounts)


class _Words:
    """A line's words, remembered within one document: most lines share their period, price and
    amount, and Babel formatting each anew would be most of the rendering time."""

    def __init__(self, data):
        self.exempt = _("Exempt")
        self.money = functools.lru_cache(maxsize=None)(format_money)
        self.percent = functools.lru_cache(maxsize=None)(lambda rate: format_percent(rate / 100))
        self.details, self.titles = {}, {}
        doc = data.doc
        # An invoice states its period once; a line says when only when it differs.
        self.period = (doc.period_start, doc.period_end) if data.kind == "invoice" else None

    def line(self, line, own_note):
        key = (line.kind, line.quantity, line.period_start, line.period_end, line.unit_price, own_note and line.note)
        details = self.details.get(key)
        if details is None:
            if (line.period_start, line.period_end) == self.period:  # a whole month: no period, no part
                line = SimpleNamespace(**{**vars(line), "period_start": None, "period_end": None})
            parts = invoice_text.line_details(line)
            if own_note and line.note:
                parts.append(line.note)
            details = self.details[key] = wrap(" · ".join(parts), REGULAR, 7.5, W_DETAILS) if parts else []
        title = self.titles.get((line.kind, line.description))
        if title is None:
            title = self.titles[line.kind, line.description] = wrap(invoice_text.line_title(line), REGULAR, 9, W_TITLE)
        return _Line(title=title, details=details,
                     vat=self.exempt if line.vat_rate == 0 else self.percent(line.vat_rate),
                     amount=self.money(line.amount), exempt=line.vat_rate == 0)


def wrap(text, font, size, width):
    """Rows of `text` no wider than `width`; one measurement when it fits (the usual case)."""
    if stringWidth(text, font, size) <= width:
        return [text]
    return simpleSplit(text, font, size, width) or [""]


# -- drawing helpers ----------------------------------------------------------------------------

def draw_logo(canv, path, x, y, size):
    """The operator's mark: a raster logo file as it is, or the portal's icon (static/icons/icon.svg,
    a rounded blue square with a white S) redrawn with its geometry."""
    if path and Path(path).suffix.lower() in RASTER_LOGOS and Path(path).exists():
        canv.drawImage(path, x, y, size, size, mask="auto", preserveAspectRatio=True)
        return
    canv.saveState()
    canv.translate(x, y + size)
    canv.scale(size / 64, -size / 64)  # the SVG's viewBox: 64 x 64, y pointing down
    canv.setFillColor(BRAND)
    canv.roundRect(0, 0, 64, 64, 14, stroke=0, fill=1)
    # d="M20 44c4 3 8 4 12 4 7 0 12-4 12-10 0-13-22-8-22-19 0-4 4-7 9-7 4 0 7 1 10 3", made absolute
    s = canv.beginPath()
    s.moveTo(20, 44)
    for curve in ((24, 47, 28, 48, 32, 48), (39, 48, 44, 44, 44, 38), (44, 25, 22, 30, 22, 19),
                  (22, 15, 26, 12, 31, 12), (35, 12, 38, 13, 41, 15)):
        s.curveTo(*curve)
    canv.setStrokeColor(white)
    canv.setLineWidth(6)
    canv.setLineCap(1)
    canv.drawPath(s, stroke=1, fill=0)
    canv.restoreState()


class _Pen:
    """Text through one text object per block: a drawString per cell costs several times more."""

    def __init__(self, canv):
        self.canv, self.t = canv, canv.beginText()
        self.font = self.color = None

    def __call__(self, x, y, text, font=REGULAR, size=9, color=INK, align="left"):
        if (font, size) != self.font:
            self.t.setFont(font, size)
            self.font = (font, size)
        if color is not self.color:
            self.t.setFillColor(color)
            self.color = color
        if align == "right":
            x -= stringWidth(text, font, size)
        self.t.setTextOrigin(x, y)
        self.t.textOut(text)

    def done(self):
        self.canv.drawText(self.t)


def _rule(c, x1, y, x2, width=0.5):
    c.setStrokeColor(RULE)
    c.setLineWidth(width)
    c.line(x1, y, x2, y)


def _long_date(value):
    return format_date(value, "long") if value else ""


def fi_line(seller, payment_id):
    """The FI-kort code line of Danish payment slips: +71< payment id +creditor number<."""
    return f"+71< {payment_id} +{seller['creditor']}<"


def _grouped(text, size=4):
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


# -- flowables ----------------------------------------------------------------------------------

class _FirstPage(Flowable):
    """The top of page one: the operator, the title, the buyer and the document's facts."""

    def __init__(self, data):
        super().__init__()
        self.data = data
        doc, seller = data.doc, data.seller
        self.seller_rows = [seller["address"], f"{seller['postal_code']} {seller['city']}",
                            _("CVR no. %(cvr)s", cvr=seller["cvr"]), _("Phone %(phone)s", phone=phone(seller["phone"])),
                            seller["email"]]
        account = _("Account %(number)s", number=data.account_number)
        buyer = [doc.buyer_address, f"{doc.buyer_postal_code} {doc.buyer_city}".strip(),
                 _("CVR no. %(cvr)s", cvr=doc.buyer_cvr) if doc.buyer_cvr else "",
                 f"{account} · {doc.account_name}" if doc.account_name else account,
                 _("Your reference: %(reference)s", reference=doc.reference) if doc.reference else "",
                 _("EAN %(ean)s", ean=doc.ean) if doc.ean else ""]
        self.buyer_rows = [row for part in buyer if part for row in wrap(part, REGULAR, 9, 84 * mm)]
        self.buyer_name = wrap(doc.buyer_name, BOLD, 10, 84 * mm)
        self.subtitle = ""
        if data.kind == "invoice":
            self.title = _("Invoice")
            self.facts = [(_("Invoice number"), doc.number), (_("Issue date"), _long_date(doc.issued_on)),
                          (_("Period"), f"{format_date(doc.period_start, 'medium')} – {format_date(doc.period_end, 'medium')}"),
                          (_("Due date"), _long_date(doc.due_on)), (_("Payment ID"), doc.payment_id)]
        else:
            self.title = _("Credit note")
            self.facts = [(_("Credit note number"), doc.number), (_("Issue date"), _long_date(doc.issued_on))]
            if data.credited:
                self.facts.append((_("Credited invoice"), data.credited.number))
                self.subtitle = _("Credits invoice %(number)s of %(date)s", number=data.credited.number,
                                  date=_long_date(data.credited.issued_on))
        self.reason = (wrap(_("Reason: %(reason)s", reason=doc.reason), REGULAR, 9, WIDTH)
                       if data.kind == "credit_note" and doc.reason else [])

    def wrap(self, aw, ah):
        buyer = 14 + 13 * len(self.buyer_name) + 12 * len(self.buyer_rows)
        self.height = 106 + (16 if self.subtitle else 0) + max(buyer, 14 * len(self.facts) + 4) \
            + (12 * len(self.reason) + 6 if self.reason else 0) + 8
        return aw, self.height

    def draw(self):
        c, seller = self.canv, self.data.seller
        y = self.height
        draw_logo(c, seller["logo"], 0, y - 13 * mm, 13 * mm)
        pen = _Pen(c)
        pen(15.5 * mm, y - 8.5 * mm, seller["name"], BOLD, 15, BRAND)
        pen(WIDTH, y - 6, seller["name"], BOLD, 8, INK, "right")
        for i, row in enumerate(self.seller_rows, start=1):
            pen(WIDTH, y - 6 - 10 * i, row, REGULAR, 8, MUTED, "right")
        y -= 88
        pen(0, y, self.title, BOLD, 22, BRAND)
        if self.subtitle:
            y -= 16
            pen(0, y, self.subtitle, REGULAR, 10, INK)
        top = y - 24
        pen(0, top, _("Bill to").upper(), BOLD, 7, MUTED)
        by = top - 14
        for row in self.buyer_name:
            pen(0, by, row, BOLD, 10)
            by -= 13
        for row in self.buyer_rows:
            pen(0, by, row, REGULAR, 9)
            by -= 12
        fx, fy = WIDTH - 80 * mm, top + 2
        for label, value in self.facts:
            pen(fx, fy - 12, label, REGULAR, 9, MUTED)
            pen(WIDTH, fy - 12, value, BOLD, 9, INK, "right")
            _rule(c, fx, fy - 16, WIDTH)
            fy -= 14
        ry = min(by, fy - 4) - 14
        for row in self.reason:
            pen(0, ry, row, REGULAR, 9)
            ry -= 12
        pen.done()


def _header_band(c, x, y):
    """The lines' column header: description, details, VAT, amount."""
    c.setFillColor(BRAND)
    c.rect(x, y, WIDTH, 15, stroke=0, fill=1)
    pen = _Pen(c)
    pen(x + 4, y + 4.5, _("Description"), BOLD, 8, white)
    pen(x + X_DETAILS, y + 4.5, _("Details"), BOLD, 8, white)
    pen(x + X_VAT, y + 4.5, _("VAT"), BOLD, 8, white, "right")
    pen(x + X_AMOUNT, y + 4.5, _("Amount excl. VAT"), BOLD, 8, white, "right")
    pen.done()


class _ColumnHeader(Flowable):
    """The column header on page one; the later pages' template draws it while the lines go on."""

    def wrap(self, aw, ah):
        return aw, 17

    def draw(self):
        _header_band(self.canv, 0, 2)


class _LinesMark(Flowable):
    """Zero height: tells the later pages' template whether the lines go on there."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        self.canv.lines_open = self.state


class _GroupFlowable(Flowable):
    """One subscription: a heading band with its holder, number and subtotal, then its lines.
    Splits between lines; the part on the next page repeats the heading."""

    HEAD, PAD, LEADING = 15, 3, 10.5

    def __init__(self, group, continued=False):
        super().__init__()
        self.group, self.continued = group, continued
        self.heights = [self.PAD + max(self.LEADING * len(ln.title), 9 * len(ln.details) + 1.5) for ln in group.lines]
        self.head = self.HEAD + (10 if group.note else 0)

    def wrap(self, aw, ah):
        self.height = self.head + sum(self.heights) + 3
        return aw, self.height

    def split(self, aw, ah):
        room, fits = ah - self.head - 3, 0
        while fits < len(self.heights) and self.heights[fits] <= room:
            room -= self.heights[fits]
            fits += 1
        if fits == 0 or fits == len(self.heights):
            return []
        g = self.group
        return [_GroupFlowable(_Group(g.heading, g.note, g.lines[:fits], g.subtotal), self.continued),
                _GroupFlowable(_Group(g.heading, g.note, g.lines[fits:], g.subtotal), continued=True)]

    def draw(self):
        c, g = self.canv, self.group
        y = self.height - self.HEAD
        c.setFillColor(BAND)
        c.rect(0, y, WIDTH, self.HEAD - 2, stroke=0, fill=1)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        pen = _Pen(c)
        pen(4, y + 4, _("%(name)s (continued)", name=g.heading) if self.continued else g.heading, BOLD, 9)
        if not self.continued:
            pen(X_AMOUNT, y + 4, g.subtotal, BOLD, 9, INK, "right")
        if g.note:
            y -= 10
            pen(4, y + 1, _("Invoice note: %(note)s", note=g.note), ITALIC, 7.5, MUTED)
        for line, height in zip(g.lines, self.heights):
            base = y - 10
            for i, text in enumerate(line.title):
                pen(4, base - self.LEADING * i, text, REGULAR, 9)
            for i, text in enumerate(line.details):
                pen(X_DETAILS, base - 9 * i, text, REGULAR, 7.5, MUTED)
            pen(X_VAT, base, line.vat, BOLD if line.exempt else REGULAR, 8.5, BRAND if line.exempt else MUTED, "right")
            pen(X_AMOUNT, base, line.amount, REGULAR, 9, INK, "right")
            y -= height
            c.line(4, y + 1, WIDTH - 4, y + 1)
        pen.done()


class _Rows(Flowable):
    """A small block of rows of (text, x, align, font, size, color) cells, a rule above the rows
    listed in `rules`; never split."""

    def __init__(self, rows, title=None, rules=()):
        super().__init__()
        self.rows, self.title, self.rules = rows, title, set(rules)

    def wrap(self, aw, ah):
        y, self.baselines, self.rule_at = (-22 if self.title else 0), [], {}
        for i, cells in enumerate(self.rows):
            size = max(cell[4] for cell in cells)
            if i in self.rules:
                y -= 4  # below the descenders of the row above
                self.rule_at[i] = y
                y -= 0.72 * size + 4
            else:
                y -= 0.72 * size if i == 0 else size + 4.5
            self.baselines.append(y)
        self.height = -y + 5
        return aw, self.height

    def draw(self):
        c, pen, top = self.canv, _Pen(self.canv), self.height
        if self.title:
            pen(self.title[1], top - 10, self.title[0], BOLD, 10, BRAND)
        for i, cells in enumerate(self.rows):
            if i in self.rule_at:
                _rule(c, cells[0][1], top + self.rule_at[i], WIDTH)
            for text, x, align, font, size, color in cells:
                pen(x, top + self.baselines[i], text, font, size, color, align)
        pen.done()


def _summary(data):
    """The VAT per rate (the exempt amount apart) and the totals."""
    doc = data.doc
    x0, x1, x2 = WIDTH - 112 * mm, WIDTH - 34 * mm, X_AMOUNT
    rows = [[(_("VAT rate"), x0, "left", BOLD, 8, MUTED), (_("Basis excl. VAT"), x1, "right", BOLD, 8, MUTED),
             (_("VAT"), x2, "right", BOLD, 8, MUTED)]]
    for rate, (net, vat) in data.vat.items():
        label = _("Exempt from VAT") if rate == 0 else _("VAT %(rate)s", rate=format_percent(rate / 100))
        rows.append([(label, x0, "left", REGULAR, 9, INK), (format_money(net), x1, "right", REGULAR, 9, INK),
                     (format_money(vat), x2, "right", REGULAR, 9, INK)])
    totals = len(rows)
    rows += [[(_("Total excl. VAT"), x0, "left", REGULAR, 9, INK), (format_money(doc.net), x2, "right", REGULAR, 9, INK)],
             [(_("VAT"), x0, "left", REGULAR, 9, INK), (format_money(doc.vat), x2, "right", REGULAR, 9, INK)],
             [(_("Total incl. VAT"), x0, "left", BOLD, 11, INK), (format_money(doc.total), x2, "right", BOLD, 11, INK)]]
    if 0 in data.vat:
        rows.append([(_("Lines marked exempt are outside the scope of VAT."), x0, "left", ITALIC, 7.5, MUTED)])
    return [CondPageBreak(45 * mm), Spacer(0, 10),
            _Rows(rows, title=(_("VAT summary"), x0), rules=(1, totals, totals + 2))]


def _payment(data):
    doc, seller = data.doc, data.seller
    rows = [(_("Amount to pay: %(amount)s", amount=format_money(doc.total)), BOLD),
            (_("Please pay by %(date)s.", date=_long_date(doc.due_on)), REGULAR),
            (_("Bank transfer: reg. no. %(reg)s, account no. %(account)s", reg=seller["bank_reg"],
               account=seller["bank_account"]), REGULAR),
            (_("IBAN %(iban)s · BIC %(bic)s", iban=_grouped(seller["iban"]), bic=seller["bic"]), REGULAR),
            (_("FI card: %(line)s", line=fi_line(seller, doc.payment_id)), BOLD),
            (_("Reference: %(number)s", number=doc.number), REGULAR)]
    cells = [[(text, 0, "left", font, 9, INK)] for text, font in rows]
    return [CondPageBreak(40 * mm), Spacer(0, 8), _Rows(cells, title=(_("Payment"), 0))]


# -- pages and the document -----------------------------------------------------------------------

RUNNING = 13 * mm  # the running header of the later pages
BAND_H = 17  # and their column header


def _canvas_class(page_label):
    """A canvas that writes 'Page x of y' once it knows y: it keeps the pages until it saves."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pages = []
            self.lines_open = False

        def showPage(self):
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self.pages)
            for number, state in enumerate(self.pages, start=1):
                self.__dict__.update(state)
                pen = _Pen(self)
                pen(PAGE_W - RIGHT, BOTTOM - 11 * mm, page_label(number, total), REGULAR, 7.5, MUTED, "right")
                pen.done()
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def _footer(c, data):
    s = data.seller
    text = " · ".join((s["name"], f"{s['address']}, {s['postal_code']} {s['city']}",
                       _("CVR no. %(cvr)s", cvr=s["cvr"]), phone(s["phone"]), s["email"]))
    _rule(c, LEFT, BOTTOM - 7 * mm, PAGE_W - RIGHT)
    pen = _Pen(c)
    pen(LEFT, BOTTOM - 11 * mm, text, REGULAR, 7.5, MUTED)
    pen.done()


def _later_page(c, _doc, data, title):
    """A page after the first: the operator, the document, and the lines' column header while
    the lines go on."""
    top = PAGE_H - TOP
    draw_logo(c, data.seller["logo"], LEFT, top - 7 * mm, 7 * mm)
    pen = _Pen(c)
    pen(LEFT + 9 * mm, top - 5 * mm, data.seller["name"], BOLD, 10, BRAND)
    pen(PAGE_W - RIGHT, top - 5 * mm, f"{title} {data.doc.number}", BOLD, 10, INK, "right")
    pen.done()
    if c.lines_open:
        _header_band(c, LEFT, top - RUNNING - BAND_H + 2)
    _footer(c, data)


def build(data, out):
    """Write the PDF of `data` (from `load`) to `out`, a path or a binary file."""
    title = _("Invoice") if data.kind == "invoice" else _("Credit note")
    height = PAGE_H - TOP - BOTTOM
    doc = BaseDocTemplate(
        out, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP, bottomMargin=BOTTOM,
        title=f"{title} {data.doc.number}", author=data.seller["name"], creator=data.seller["name"],
        subject=f"{title} {data.doc.number}", lang=str(get_locale()).replace("_", "-"), displayDocTitle=1,
        pageCompression=1, invariant=1)
    doc.addPageTemplates([
        PageTemplate("first", frames=[Frame(LEFT, BOTTOM, WIDTH, height, 0, 0, 0, 0)],
                     onPage=lambda c, _doc: _footer(c, data), autoNextPageTemplate="later"),
        PageTemplate("later", frames=[Frame(LEFT, BOTTOM, WIDTH, height - RUNNING - BAND_H, 0, 0, 0, 0)],
                     onPage=functools.partial(_later_page, data=data, title=title))])
    story = [_FirstPage(data), CondPageBreak(40 * mm), _ColumnHeader(), _LinesMark(True)]
    story += [_GroupFlowable(group) for group in data.groups]
    story += [_LinesMark(False), *_summary(data)]
    if data.kind == "invoice":
        story += _payment(data)
    doc.build(story, canvasmaker=_canvas_class(
        lambda number, total: _("Page %(page)s of %(pages)s", page=number, pages=total)))


def write(kind, obj_id, out):
    """The PDF of invoice or credit note `obj_id` in the current language, into `out`."""
    build(load(kind, obj_id), out)
