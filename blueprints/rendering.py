"""One template per page; an HTMX request gets only the named block."""
from flask import make_response, redirect, render_template, request
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


def navigate(url, code=302):
    """Go to another page: a redirect, or `HX-Redirect` for an HTMX request (which would
    otherwise swap the whole next page into its target)."""
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=code)
