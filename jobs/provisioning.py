"""Provisioning: carrying out orders against the operator network."""
from . import job


@job(retry=3, timeout=300)  # carry_out is idempotent: the network call has its key, the change applies once
def provision_order(order_id):
    """Carry out one order. It may run twice (a retry, the sweep's job beside the original): the run
    that claims the order goes to the network, another one returns what the order is."""
    # Imported here: the service imports this module to enqueue the job.
    from models import Order
    from services import fraud
    from services.orders import carry_out, claim, release

    if not fraud.may_proceed(order_id):
        return "waiting"  # under notice or held for review: fraud.release_due starts it later
    if not claim(order_id):
        order = Order.get_or_none(Order.id == order_id)
        return order.status if order else "missing"  # done, failed, or another run has it
    try:
        return carry_out(order_id)
    except Exception:
        release(order_id)  # RQ's retry may claim it at once
        raise


@job
def release_due_orders():
    """Every minute (the worker's scheduler): orders whose fraud notice is over go to the network."""
    from services.fraud import release_due

    return release_due()
