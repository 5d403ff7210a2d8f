"""The sentences that describe an order, in both languages."""
import json

from flask_babel import force_locale

from models import AddOn, Order
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


def test_what_an_order_lacks_is_left_out(app, ctx):
    """No "0.00 a month", "()", empty name or "today" for a value the order does not keep."""
    lacking = [("addon", {"addon": "ADD-VERDEN"}), ("cancel", {}), ("cancel", {"end_date": "2026-12-01"}),
               ("cancel", {"reason": "not_needed"}), ("transfer", {"new_holder_cvr": "87654338"}),
               ("transfer", {"new_holder_name": "Ulla Olsen", "end_date": "2026-12-01"}),
               ("account_change", {"to_account": "40120029"}), ("account_change", {}),
               ("plan_change", {"from_plan": "MOB-TALE", "to_plan": "MOB-FRI-100"}),
               ("sim_change", {"how": "in_hand"}), ("sim_change", {"how": "physical"}),
               ("block", {"parts": ["data"]})]
    with app.test_request_context():
        for lang in ("da", "en"):
            with force_locale(lang):
                for kind, details in lacking:
                    text = order_text.describe(kind, details)
                    assert text and "()" not in text and "0,00" not in text and "0.00" not in text, text
                    assert "i dag" not in text and "today" not in text and " ( " not in text, text
            with force_locale("da"):
                assert order_text.describe("addon", {"addon": "ADD-VERDEN"}) == "Udlandspakke Verden tilføjes."
                assert order_text.describe("account_change", {"to_account": "40120029"}) == \
                    "Abonnementet flyttes til konto 40120029."


def test_the_demo_orders_read_in_full(app, ctx):
    """Every demo order's sentence: no empty parentheses, no zero price for an add-on that costs money."""
    prices = {a.code: a.monthly_price for a in AddOn.select()}
    with app.test_request_context():
        for lang in ("da", "en"):
            with force_locale(lang):
                for order in Order.select():
                    details = json.loads(order.details or "{}")
                    text = order_text.describe(order.kind, details)
                    assert text and "()" not in text and "  " not in text, (order.id, text)
                    if order.kind == "addon" and prices[details["addon"]]:
                        assert "0,00" not in text and "0.00" not in text, (order.id, text)
                        assert ("99,00" if lang == "da" else "99.00") in text, (order.id, text)
