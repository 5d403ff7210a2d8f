"""The ceiling for scripts/benchmark.py: a bare Flask app under the same gunicorn settings.

    gunicorn -c gunicorn.conf.py --pythonpath scripts bench_ceiling:app

`/table` renders a 50-row table with Jinja (autoescaped, from a template string: no database,
no session, no extensions) and `/` answers a short text. What the portal's pages reach of
their throughput is the share of a request's time that is the portal's own work.
"""
from flask import Flask, render_template_string

app = Flask(__name__)

TABLE = """<!doctype html>
<html lang="da">
<head><meta charset="utf-8"><title>Abonnementer</title></head>
<body>
<table>
  <thead><tr><th>Navn</th><th>Nummer</th><th>E-mail</th><th>Type</th><th>Status</th><th>Konto</th></tr></thead>
  <tbody>
  {%- for row in rows %}
    <tr><td><a href="/subscriptions/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.number }}</td>
      <td>{{ row.email }}</td><td>{{ row.kind }}</td><td>{{ row.status }}</td><td>{{ row.account }}</td></tr>
  {%- endfor %}
  </tbody>
</table>
</body>
</html>
"""

ROWS = [{"id": i, "name": f"Søren Sørensen {i}", "number": f"+45 20 {i:02d} 00 00", "email": f"soeren{i}@demo.dk",
         "kind": "Mobil", "status": "Aktiv", "account": "40120011"} for i in range(1, 51)]


@app.route("/")
def trivial():
    return "ok"


@app.route("/table")
def table():
    return render_template_string(TABLE, rows=ROWS)
