"""The outside world behind small interfaces, each with a local implementation.

`channel_for(name)` returns the sender for an outbox channel. Locally, SMS and
digital post are recorded as sent (readable at /dev/outbox in demo mode);
e-mail goes to SMTP_HOST when it is set.
"""
from .digital_post import LocalDigitalPost
from .email import SmtpEmail
from .sms import LocalSmsGateway

_CHANNELS = {"email": SmtpEmail(), "sms": LocalSmsGateway(), "digital_post": LocalDigitalPost()}


def channel_for(name):
    return _CHANNELS[name]
