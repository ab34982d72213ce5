"""``/client/``: the client wheels this service offers, for ``pip install`` by URL."""

from __future__ import annotations

from flask import Blueprint, Response, render_template_string, request, send_file

from nntrace_service.handlers import client
from nntrace_service.http.body import settings

bp = Blueprint("client", __name__)

# Also a "find links" page for pip (`pip install --find-links http://HOST/client/ ...`):
# plain anchors whose fragment carries the hash pip checks.
_LISTING = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>nntrace client wheels</title></head>
<body><h1>nntrace client</h1>
<p>The Python client and command line for this service, on no package index: install it from
here, in a virtual environment where the system Python refuses <code>pip install</code>.</p>
{% if wheels %}<ul>{% for w in wheels %}
<li><a href="{{ w.name }}#sha256={{ w.sha256 }}">{{ w.name }}</a> ({{ w.size }} bytes)</li>
{% endfor %}</ul>
<pre>python3 -m venv .venv
.venv/bin/pip install {{ base }}client/{{ wheels[-1].name }}</pre>
{% else %}<p>This service offers no client wheel: its operator has not set
<code>NNTRACE_CLIENT_WHEELS</code> (the Docker image and <code>make serve</code> do).</p>
{% endif %}<p><a href="/docs">API documentation</a></p></body></html>"""


@bp.get("/client/")
def listing() -> str:
    """The wheels on offer, newest last, with the command that installs one."""
    wheels = client.list_wheels(settings())
    return render_template_string(_LISTING, wheels=wheels, base=request.host_url)


@bp.get("/client/<name>")
def wheel(name: str) -> Response:
    """One wheel file (404 problem for any other name)."""
    found = client.find_wheel(settings(), name)
    return send_file(
        found.path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=found.name,
        conditional=True,
        etag=found.sha256,
    )
