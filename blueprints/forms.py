"""Shared form fields and validators, with translated messages."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum.dk import cvr
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from wtforms.validators import Length, ValidationError

from services.validation import danish_number, email_address


class ValidEmail:
    def __call__(self, form, field):
        address = email_address(field.data)
        if address is None:
            raise ValidationError(_l("Enter a valid e-mail address."))
        field.data = address


class DanishMobile:
    """Accepts '20 00 00 01', '+45 20000001'…; leaves the E.164 form in field.data."""

    def __call__(self, form, field):
        number = danish_number(field.data)
        if number is None:
            raise ValidationError(_l("Enter a Danish phone number with 8 digits."))
        field.data = number


def password_error_text(reason):
    """The translated sentence for services.passwords.password_problem's reason codes."""
    return {
        "too_short": _("Use at least 12 characters. A few words in a row are easy to remember."),
        "too_long": _("Use at most 128 characters."),
        "too_common": _("That password is too easy to guess. Avoid common passwords and your own name or e-mail."),
        "wrong_current": _("Your current password is not right."),
    }.get(reason, _("Choose another password."))


class ValidCvr:
    """A Danish CVR number (8 digits, mod-11 by python-stdnum); leaves the 8 digits in field.data."""

    def __call__(self, form, field):
        try:
            field.data = cvr.validate(field.data or "")
        except InvalidChecksum:
            raise ValidationError(_l("That is not a valid CVR number. Check the digits.")) from None
        except StdnumError:
            raise ValidationError(_l("Enter the CVR number with 8 digits.")) from None


def MaxLength(limit):  # noqa: N802 - reads like the WTForms validators it stands beside
    """Length(max=…) with a translated message (WTForms has no Danish catalogue)."""
    return Length(max=limit, message=_l("Use at most %(max)d characters."))
