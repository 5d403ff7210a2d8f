"""Digital post (e-Boks) to a company's mailbox, addressed by CVR number."""
from stdnum.dk import cvr


class LocalDigitalPost:
    def send(self, message):
        cvr.validate(message.recipient)  # the mailbox is the company's CVR number
