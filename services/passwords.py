"""Password hashing with argon2id."""
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters



@functools.cache
def _dummy_hash():
    """Verified against when the e-mail is unknown, so both paths cost the same (made on first use,
    not at start-up: hashing takes a noticeable moment)."""
    return _hasher.hash("not-a-real-password-for-timing")


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when the password matches; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)


MIN_LENGTH = 12
MAX_LENGTH = 128


def password_problem(password, user_inputs=()):
    """None when the password is acceptable, else a reason code.

    NIST-style: a minimum length, a generous maximum, no composition rules, and a
    check against common and easily guessed passwords (zxcvbn's lists, the user's own
    name and e-mail counted as guessable).
    """
    from zxcvbn import zxcvbn  # loads its word lists on first use, not at start-up

    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])["score"] < 3:
        return "too_common"
    return None
