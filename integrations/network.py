"""The operator network that carries out orders (provisioning).

`network()` returns the implementation in use. The local one simulates the real
network: each request takes NETWORK_DELAY_SECONDS, a share NETWORK_FAILURE_RATE of
them is rejected with a reason, and a request whose idempotency key it has seen
before returns the first answer instead of acting twice.

A request names the order kind and plain values; the answer is a dict of plain values
the portal keeps (a new SIM's ICCID, an eSIM activation code). A rejection raises
NetworkRejected with a reason code that labels translate ("order_failure").
"""
import random
import secrets
import threading
import time

from flask import current_app
from stdnum import luhn

REASONS = ("network_unavailable", "sim_not_activated", "donor_rejected", "number_unavailable",
           "addon_incompatible")


class NetworkRejected(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class LocalNetwork:
    def __init__(self):
        self._answers = {}  # idempotency key -> the first answer (or rejection)
        self._lock = threading.Lock()

    def carry_out(self, key, kind, values):
        with self._lock:
            if key in self._answers:
                return self._replay(self._answers[key])
        config = current_app.config
        time.sleep(max(0.0, config.get("NETWORK_DELAY_SECONDS", 0)))
        answer = self._answer(kind, values, config.get("NETWORK_FAILURE_RATE", 0))
        with self._lock:
            answer = self._answers.setdefault(key, answer)
        return self._replay(answer)

    @staticmethod
    def _replay(answer):
        if isinstance(answer, NetworkRejected):
            raise answer
        return dict(answer)

    def _answer(self, kind, values, failure_rate):
        if failure_rate and random.random() < failure_rate:  # nosec B311  # a simulation, not security
            return NetworkRejected(self._likely_reason(kind))
        if values.get("iccid") and not luhn.is_valid(values["iccid"]):
            return NetworkRejected("sim_not_activated")
        answer = {}
        if kind in ("sim_change", "new_subscription", "takeover", "port_in") and values.get("sim_form"):
            answer.update(new_sim(values.get("iccid"), values["sim_form"]))
        return answer

    @staticmethod
    def _likely_reason(kind):
        return {"sim_change": "sim_not_activated", "takeover": "donor_rejected", "port_in": "donor_rejected",
                "addon": "addon_incompatible", "new_subscription": "number_unavailable"}.get(
                    kind, "network_unavailable")


def new_sim(iccid, form):
    """The SIM the network activates: the card in hand, or a new card or eSIM profile."""
    if not iccid:
        body = "894510" + "".join(secrets.choice("0123456789") for _ in range(12))
        iccid = body + luhn.calc_check_digit(body)
    sim = {"iccid": iccid, "pin": "".join(secrets.choice("0123456789") for _ in range(4)),
           "puk": "".join(secrets.choice("0123456789") for _ in range(8))}
    if form == "esim":
        sim["activation_code"] = f"LPA:1$smdp.operator.example${secrets.token_hex(10).upper()}"
    return sim


POOL_PREFIXES = {"mobile": "+4591", "landline": "+4572"}  # the local number pools


def new_number(kind="mobile"):
    """A free-looking number from the operator's pool for `kind` (mobile 91…, landline 72…);
    the caller checks that no subscription has it."""
    return POOL_PREFIXES[kind] + "".join(secrets.choice("0123456789") for _ in range(6))


_network = LocalNetwork()


def network():
    return _network
