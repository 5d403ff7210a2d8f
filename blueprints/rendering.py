"""One template per page; an HTMX request gets only the named block."""
from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment():
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template, block=None, status=200, **context):
    """The whole page, or just `block` for an HTMX request; always `Vary: HX-Request`."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
