"""Reading telephony products within a scope: phone systems with their call flow, numbers."""
from models import CallFlowStep, PersonalNumber, PortingRequest


def phone_systems_with_flow(scope):
    """[(phone system, [call flow steps in order])] in two queries."""
    systems = list(scope.phone_systems())
    steps = (CallFlowStep.select().where(CallFlowStep.phone_system.in_([p.id for p in systems]))
             .order_by(CallFlowStep.position)) if systems else []
    by_system = {}
    for step in steps:
        by_system.setdefault(step.phone_system_id, []).append(step)
    return [(p, by_system.get(p.id, [])) for p in systems]


def porting_requests(scope):
    return list(scope.porting_requests().order_by(PortingRequest.created_at.desc()))


def personal_numbers(scope):
    return list(scope.personal_numbers().order_by(PersonalNumber.number))
