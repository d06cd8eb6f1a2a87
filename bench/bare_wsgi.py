"""
`make bench-api`'s yardstick: a bare WSGI callable answering constant JSON, served by gunicorn
with the app's own settings (gunicorn.conf.py), so that what remains of an endpoint's time is
Django's, the app's and the database's.
"""

BODY = b'{"data": {"ok": true}, "meta": {}}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
