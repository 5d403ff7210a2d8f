"""Porting: the operator side of a port-in request (services/numbers.py)."""
from . import job


@job
def advance_port_request(porting_id):
    # Imported here: the service imports this module to enqueue the job.
    from services.numbers import advance_port_request as advance

    return advance(porting_id)


@job
def complete_due_ports():
    """Daily outside demo mode: the port-ins whose confirmed date has come."""
    from services.numbers import complete_due

    return complete_due()
