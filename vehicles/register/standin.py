"""
A stand-in of the register's enkeltoppslag endpoint, served over real HTTP on a free local
port, that answers or misbehaves on purpose: for the tests and `make bench-register-outage`,
never used by the app itself.

    with StandInRegister(Behaviour.HANG) as register:
        settings.VEGVESEN_API_URL = register.url
        ...
        register.calls  # requests received so far

Known sample plates get their sample; any other plate gets the `BT57225` sample under its own
plate, so every plate is "found" unless the behaviour says otherwise.
"""

import copy
import json
import threading
import time
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from vehicles.register.sandbox import SAMPLES_DIR


class Behaviour(StrEnum):
    ANSWER = "answer"  # the sample, after `delay` seconds
    HANG = "hang"  # reads the request, never answers
    DRIP_BODY = "drip_body"  # status line and headers at once, then one body byte per interval
    DRIP_ALL = "drip_all"  # the whole answer, status line included, one byte per interval
    FAIL = "fail"  # 503 at once


class StandInRegister:
    """A threaded HTTP server on 127.0.0.1; `calls` counts the look-ups it received."""

    def __init__(
        self, behaviour: Behaviour = Behaviour.ANSWER, *, delay: float = 0.0, drip_interval=1.0
    ) -> None:
        self.behaviour = behaviour
        self.delay = delay
        self.drip_interval = drip_interval
        self.call_times: list[float] = []  # time.monotonic() of each request received
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/enkeltoppslag/kjoretoydata"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.call_times)

    def __enter__(self) -> "StandInRegister":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()  # releases hanging and dripping handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer_for(self, plate: str) -> bytes:
        path = SAMPLES_DIR / f"{plate}.json"
        if not path.is_file():
            path = SAMPLES_DIR / "BT57225.json"
        payload = json.loads(path.read_text("utf-8"))
        vehicle = copy.deepcopy(payload["kjoretoydataListe"][0])
        vehicle["kjoretoyId"]["kjennemerke"] = plate
        return json.dumps({"kjoretoydataListe": [vehicle]}).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        register = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with register._lock:
                    register.call_times.append(time.monotonic())
                plate = parse_qs(urlsplit(self.path).query).get("kjennemerke", [""])[0]
                behaviour = register.behaviour
                if behaviour == Behaviour.HANG:
                    register._stopping.wait()
                    return
                if behaviour == Behaviour.FAIL:
                    self._send(503, b'{"feilmelding": "TJENESTE_IKKE_TILGJENGELIG"}')
                    return
                if register._stopping.wait(register.delay):
                    return
                body = register._answer_for(plate)
                if behaviour == Behaviour.DRIP_BODY:
                    self._send_headers(200, len(body))
                    self._drip(body)
                elif behaviour == Behaviour.DRIP_ALL:
                    head = (
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                    )
                    self._drip(head.encode() + body)
                else:
                    self._send(200, body)

            def _send(self, status: int, body: bytes) -> None:
                self._send_headers(status, len(body))
                self.wfile.write(body)

            def _send_headers(self, status: int, length: int) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(length))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.flush()

            def _drip(self, data: bytes) -> None:
                for index in range(len(data)):
                    if register._stopping.wait(register.drip_interval if index else 0):
                        return
                    try:
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

            def log_message(self, format: str, *args) -> None:
                pass  # quiet: the tests and the benchmark report what matters

        return Handler
