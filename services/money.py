"""Money is integer øre. VAT and rounding live here, and nowhere else."""
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_currency, get_locale

VAT_RATE = Decimal("0.25")


def vat_of(net):
    """VAT on a net amount in øre, rounded half up to whole øre."""
    return int((Decimal(net) * VAT_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_money(ore):
    """1234550 -> '12.345,50 kr.' in Danish, 'DKK 12,345.50' in English."""
    amount = Decimal(ore) / 100
    if get_locale().language == "da":
        return format_currency(amount, "DKK")
    # English patterns glue the code to the digits ('DKK12.50'); keep a no-break space.
    return format_currency(amount, "DKK", format="¤\xa0#,##0.00")
