"""The SMS gateway. The local gateway accepts Danish numbers and records the message."""
import phonenumbers


class SmsRejected(Exception):
    pass


class LocalSmsGateway:
    def send(self, message):
        number = phonenumbers.parse(message.recipient, "DK")
        if not phonenumbers.is_possible_number(number):
            raise SmsRejected("invalid number")
