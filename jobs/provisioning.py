"""Provisioning: carrying out orders against the operator network."""
from . import job


@job
def provision_order(order_id):
    # Imported here: the service imports this module to enqueue the job.
    from services.orders import carry_out

    return carry_out(order_id)

