"""Choosing the language: the user's choice, then a cookie, then Accept-Language, then Danish."""
from flask import current_app, has_request_context, request
from flask_login import current_user

COOKIE = "lang"
# The language decides the catalogue; the region decides dates and numbers. English
# users of a Danish operator get British conventions (day first, 24-hour clock).
REGIONAL = {"da": "da_DK", "en": "en_GB"}


def regional(language):
    return REGIONAL.get(language or "da", "da_DK")


def select_locale():
    return regional(_select_language())


def page_language():
    """The language of the page being answered ("da", "en"): the signed-in user's choice, the
    cookie, then the browser's; outside a request, the default."""
    return _select_language()


def _select_language():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
