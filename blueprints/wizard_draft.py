"""What the step-by-step wizards share (create user, create subscription): the draft kept
in the server-side session per membership, and the step in the URL (`?step=`), so back,
forward and a reload keep what was entered."""
from flask import g, request, session, url_for


class WizardDraft:
    def __init__(self, key, endpoint, blank):
        self.key = key  # the session key
        self.endpoint = endpoint  # the wizard's GET view
        self.blank = blank  # () -> a new draft's values (the membership id is added)

    def load(self):
        """This membership's draft, with any field added since it was saved."""
        fresh = {**self.blank(), "membership_id": g.scope.membership_id, "done": []}
        draft = session.get(self.key)
        if not isinstance(draft, dict) or draft.get("membership_id") != g.scope.membership_id:
            return fresh
        return {**fresh, **draft}

    def save(self, draft):
        session[self.key] = dict(draft)

    def clear(self):
        session.pop(self.key, None)

    def url(self, step):
        return url_for(self.endpoint, step=step)

    @staticmethod
    def requested_step(steps):
        step = request.args.get("step")
        return step if step in steps else steps[0]

    @staticmethod
    def first_open(draft, steps):
        """The first step not yet done (the last when all are)."""
        return next((s for s in steps if s not in draft["done"]), steps[-1])
