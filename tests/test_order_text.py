"""The sentences that describe an order, in both languages."""
from flask_babel import force_locale

from services import order_text


def test_a_sentence_that_ends_with_an_amount_ends_once(app, ctx):
    """Danish amounts end with "kr.", which ends the sentence too: never "50,00 kr.."."""
    change = {"from_plan": "MOB-BASIS", "to_plan": "MOB-PLUS", "from_date": "2026-12-01"}
    with app.test_request_context():
        with force_locale("da"):
            up = order_text.describe("plan_change", dict(change, price_difference=5000))
            down = order_text.describe("plan_change", dict(change, price_difference=-5000))
        with force_locale("en"):
            english = order_text.describe("plan_change", dict(change, price_difference=5000))
    assert up.endswith("Prisen om måneden stiger med 50,00\xa0kr.") and ".." not in up
    assert down.endswith("Prisen om måneden falder med 50,00\xa0kr.") and ".." not in down
    assert english.endswith("The monthly price goes up by DKK\xa050.00.")
