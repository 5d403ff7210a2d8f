"""Checking an application for access against the operator's customer records."""
from . import job


@job
def process_application(application_id):
    from services.applications import (
        process_access_application,  # services import this module
    )

    return process_access_application(application_id)
