"""Provisioning: carrying out orders against the operator network."""
from . import job


@job(retry=3, timeout=300)  # carry_out is idempotent: the network call has its key, the change applies once
def provision_order(order_id):
    # Imported here: the service imports this module to enqueue the job.
    from services import fraud
    from services.orders import carry_out

    if not fraud.may_proceed(order_id):
        return "waiting"  # under notice or held for review: fraud.release_due starts it later
    return carry_out(order_id)


@job
def release_due_orders():
    """Every minute (the worker's scheduler): orders whose fraud notice is over go to the network."""
    from services.fraud import release_due

    return release_due()
