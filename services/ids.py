"""Reading ids from requests: ASCII digits within the database's 64-bit range, or nothing.

str.isdigit() accepts '²' and int() accepts '٣'; SQLite refuses integers past 2**63-1, and int()
refuses a string of more than 4,300 digits (a form value may be 100,000 characters).
Both would turn a forged value into a 500, so every id from outside passes through here.
"""
MAX_ID = 2**63 - 1
MAX_DIGITS = len(str(MAX_ID))


def parse_id(value):
    """The id as an int, or None."""
    text = str(value).strip() if value is not None else ""
    if not text or not text.isascii() or not text.isdecimal():
        return None
    digits = text.lstrip("0")
    if len(digits) > MAX_DIGITS:  # int() refuses strings past 4,300 digits (ValueError)
        return None
    number = int(digits or "0")
    return number if 0 < number <= MAX_ID else None


def parse_ids(values):
    """The valid ids among `values`, in order, without repeats; invalid ones dropped."""
    seen = []
    for value in values or ():
        number = parse_id(value)
        if number is not None and number not in seen:
            seen.append(number)
    return seen
