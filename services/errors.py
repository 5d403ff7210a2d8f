"""The one error type services raise for input a user can get wrong or a refused change.

`message` is already translated; `field` names the form input it belongs to (None: the
form as a whole). Views catch this type only, and show the message next to the field.
A form checked as a whole raises one with every error at once (`ServiceError.of`);
`errors` is {field: message} in every case ("form" for the form as a whole).
"""


class ServiceError(Exception):
    def __init__(self, message, field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or {field or "form": message}

    @classmethod
    def of(cls, errors):
        """Every error of a form: {field: translated message}, in the form's order."""
        field, message = next(iter(errors.items()))
        return cls(message, field, errors)
