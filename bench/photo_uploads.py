"""
Photo uploads at the limits, all at once: the app under gunicorn as the image runs it
(gunicorn.conf.py, `DEBUG=0`, 2 workers x 4 threads, the default photo limits), 8 owners each
sending a worst-case photo at the same moment, as base64 JSON (the costliest way to send one):
4 PNGs of 40 megapixels RGBA and 4 JPEGs of just under 15 MiB. Repeated for a few rounds.

Prints every request's status and time, the slowest, and each worker's peak resident memory
over the bursts (its kernel peak mark, reset before the first). Targets: every request answered
2xx, 413 or 503; none slower than 10 s; no worker above 400 MB. Exits 1 when one is missed.

    make bench-images           # after the pipeline benchmark
    .venv/bin/python -m bench.photo_uploads

Needs nothing but the project's own environment: a throw-away SQLite database and media
folder (removed at the end), the sandbox register, traffic to 127.0.0.1 only.
"""

import base64
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image, ImageFilter

from bench.common import (
    PROJECT_DIR,
    bench_env,
    ensure_free,
    request,
    run,
    start_gunicorn,
    stop,
    wait_until_healthy,
    worker_pids,
)

PYTHON = sys.executable
APP_PORT = int(os.environ.get("BENCH_APP_PORT", "8094"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
OWNERS = 8
PASSWORD = "a-long-unusual-bench-passphrase"  # noqa: S105 (a throw-away benchmark account)
PLATE = "BT57225"
MAX_SECONDS = 10
MAX_WORKER_MB = 400
ACCEPTED_STATUSES = {413, 503}  # besides 2xx


# --- Inputs --------------------------------------------------------------------------------


def rgba_png_40_megapixels() -> bytes:
    """8000 x 5000 RGBA of smooth gradients: 160 MB once decoded, a few hundred kB sent."""
    size = (8000, 5000)
    ramp = Image.linear_gradient("L").resize(size)
    bands = (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp.rotate(180), ramp)
    out = io.BytesIO()
    Image.merge("RGBA", bands).save(out, "PNG", compress_level=9)
    return out.getvalue()


def jpeg_of_almost_15_mib() -> bytes:
    """A grainy 39-megapixel baseline JPEG, at the quality that lands just under 15 MiB."""
    size = (7200, 5400)
    grain = Image.effect_noise((size[0] // 2, size[1] // 2), 70).resize(size)
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB",
        (
            Image.blend(ramp, grain, 0.5),
            Image.blend(ramp.rotate(180), grain, 0.4),
            grain.filter(ImageFilter.GaussianBlur(1)),
        ),
    )
    limit = 15 * 1024 * 1024
    best = b""
    for quality in range(80, 101, 2):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() > limit:
            break
        best = out.getvalue()
    return best


# --- The app -------------------------------------------------------------------------------


class App:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.base_url = f"http://127.0.0.1:{APP_PORT}"
        self.env = bench_env(
            f"sqlite:///{workdir / 'db.sqlite3'}",
            REDIS_URL="",
            MEDIA_ROOT=str(workdir / "media"),
            VEGVESEN_API_KEY="",
            AUTH_THROTTLE_RATE="1000000/minute",
        )
        self.server: subprocess.Popen | None = None

    def prepare(self) -> list[str]:
        """Migrates and makes the owners, each with the plate linked; returns their emails."""
        emails = [f"owner{n}@bench.example.com" for n in range(OWNERS)]
        manage = [PYTHON, "manage.py"]
        run([*manage, "migrate", "--noinput", "-v", "0"], env=self.env, cwd=PROJECT_DIR)
        script = (
            "from minbil.accounts.models import User; from vehicles.services import link_vehicle\n"
            f"for email in {emails!r}:\n"
            f"    u = User.objects.create_user(email=email, password={PASSWORD!r})\n"
            f"    link_vehicle(user=u, registration_number={PLATE!r})\n"
        )
        run([*manage, "shell", "-c", script], env=self.env, cwd=PROJECT_DIR)
        return emails

    def start(self) -> None:
        ensure_free(APP_PORT)
        log = self.workdir / "gunicorn.log"
        self.server = start_gunicorn("minbil.wsgi:application", APP_PORT, self.env, log)
        wait_until_healthy(self.base_url, self.server, log, workers=2)

    def workers(self) -> list[int]:
        return worker_pids(self.server)

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)


def memory(pid: int, field: str) -> int:
    """A `/proc/<pid>/status` figure (VmRSS, VmHWM) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/{pid}/status has no {field}; this benchmark needs Linux")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS


# --- Requests ------------------------------------------------------------------------------


def burst(base_url: str, uploads: list[tuple[str, str, str]]) -> list[tuple[str, int, float, str]]:
    """Every upload at the same moment; (kind, status, seconds, error code) for each."""
    results: list = [None] * len(uploads)
    start = threading.Barrier(len(uploads))

    def send(index: int, kind: str, token: str, image: str) -> None:
        start.wait()
        started = time.monotonic()
        status, body = request(
            "PUT", f"/api/co/vehicles/{PLATE}", base_url, {"image": image}, token
        )
        code = body.get("error", {}).get("code", "") if status else "no answer"
        results[index] = (kind, status, time.monotonic() - started, code)

    threads = [
        threading.Thread(target=send, args=(index, *upload)) for index, upload in enumerate(uploads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="minbil-bench-photos-"))
    app = App(workdir)
    try:
        png, jpeg = rgba_png_40_megapixels(), jpeg_of_almost_15_mib()
        inputs = {
            "PNG 8000x5000 RGBA": base64.b64encode(png).decode(),
            "JPEG 7200x5400": base64.b64encode(jpeg).decode(),
        }
        emails = app.prepare()
        app.start()
        tokens = []
        for email in emails:
            status, body = request(
                "POST", "/api/auth/token", app.base_url, {"email": email, "password": PASSWORD}
            )
            if status != 200:
                raise RuntimeError(f"could not log in as {email}: {status} {body}")
            tokens.append(body["access"])
        kinds = list(inputs)
        uploads = [(kinds[n % 2], token, inputs[kinds[n % 2]]) for n, token in enumerate(tokens)]

        workers = app.workers()
        print(
            f"gunicorn: {len(workers)} workers x {os.environ.get('GUNICORN_THREADS', '4')} "
            "threads, DEBUG=0, gunicorn.conf.py, default photo limits"
        )
        print(
            f"Inputs: PNG 8000x5000 RGBA ({len(png) / 1e3:.0f} kB), JPEG 7200x5400 "
            f"({len(jpeg) / 2**20:.2f} MiB); {OWNERS} owners at once, base64 JSON, {ROUNDS} rounds"
        )
        resting = {pid: memory(pid, "VmRSS") for pid in workers}
        for pid in workers:
            reset_peak(pid)
        results = []
        for round_ in range(1, ROUNDS + 1):
            print(f"\nround {round_}")
            for kind, status, seconds, code in burst(app.base_url, uploads):
                results.append((kind, status, seconds))
                print(f"  {kind:20s} {status} {code:22s} {seconds:5.1f} s")
        peaks = {pid: memory(pid, "VmHWM") for pid in workers}

        failed = False
        print()
        for pid in workers:
            ok = peaks[pid] <= MAX_WORKER_MB * 1e6
            failed |= not ok
            print(
                f"worker {pid}: peak {peaks[pid] / 1e6:5.0f} MB (resting {resting[pid] / 1e6:.0f}"
                f" MB before the bursts; target <= {MAX_WORKER_MB} MB) {'ok' if ok else 'MISSED'}"
            )
        slowest = max(results, key=lambda result: result[2])
        ok = slowest[2] <= MAX_SECONDS
        failed |= not ok
        print(
            f"slowest: {slowest[0]} {slowest[1]} in {slowest[2]:.1f} s "
            f"(target <= {MAX_SECONDS} s) {'ok' if ok else 'MISSED'}"
        )
        unexpected = [r for r in results if not (200 <= r[1] < 300 or r[1] in ACCEPTED_STATUSES)]
        failed |= bool(unexpected)
        answered = sorted({status for _, status, _ in results})
        print(f"statuses: {answered} (2xx, 413 or 503 only) {'MISSED' if unexpected else 'ok'}")
        if failed:
            sys.exit(1)
    finally:
        app.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
