"""The one error type services raise for input a user can get wrong or a refused change.

`message` is already translated; `field` names the form input it belongs to (None: the
form as a whole). Views catch this type only, and show the message next to the field.
"""


class ServiceError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field
