"""
`python manage.py bench_images` (`make bench-images`): the photo pipeline against a bare
Pillow decode of the same 12-megapixel JPEG, as ratios measured in one run.

Time is measured in this process (median of `--runs`). Peak memory is measured in a forked
child per run: the child hands its free heap back to the system (`malloc_trim`, so memory
the parent freed earlier cannot be reused unseen), resets the kernel's peak-RSS mark
(`/proc/self/clear_refs`), runs the operation and reports its peak resident set (VmHWM) minus
the resident set it started from. Pillow allocates pixels outside Python's allocator, which
is why `tracemalloc` cannot be used here.
"""

import ctypes
import ctypes.util
import io
import os
import statistics
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from PIL import Image, ImageFilter

from vehicles import photos

TIME_TARGET = 1.5
MEMORY_TARGET = 1.0


def generated_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo-like JPEG: smooth gradients with grain, so it compresses like a real photo."""
    gradient = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width // 4, height // 4), 40).resize((width, height))
    red = Image.blend(gradient, grain, 0.3)
    green = Image.blend(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain, 0.2)
    blue = gradient.rotate(180).filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=90)
    return out.getvalue()


def bare_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.load()


def _release_free_heap() -> None:
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if trim is not None:  # glibc
            trim(0)


def _memory_status(field: str) -> int:
    """A `/proc/self/status` figure (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise CommandError(f"/proc/self/status has no {field}; this benchmark needs Linux.")


def peak_memory_added(operation: Callable[[], object]) -> int:
    """Bytes of resident memory `operation` added at its peak, measured in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: measure, report, exit without Django's clean-up
        os.close(read_end)
        _release_free_heap()
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # reset the peak (VmHWM) to the current resident set
        start = _memory_status("VmRSS")
        operation()
        os.write(write_end, f"{_memory_status('VmHWM') - start}".encode())
        os.close(write_end)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not report or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise CommandError("The measured operation failed in the child process.")
    return int(report)


def seconds(operation: Callable[[], object]) -> float:
    started = time.perf_counter()
    operation()
    return time.perf_counter() - started


class Command(BaseCommand):
    help = "Benchmark the photo pipeline against a bare Pillow decode (time and peak memory)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7, help="Runs per measurement (median).")

    def handle(self, *args, runs: int, **options):
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        data = generated_photo()
        with Image.open(io.BytesIO(data)) as img:
            size = img.size

        def pipeline():
            return photos.process_photo(data)

        def decode():
            return bare_decode(data)

        pipeline()  # warm up imports and caches once
        decode_times, pipeline_times = [], []
        for _ in range(runs):  # interleaved, so drifts in machine load hit both alike
            decode_times.append(seconds(decode))
            pipeline_times.append(seconds(pipeline))
        decode_memory = [peak_memory_added(decode) for _ in range(runs)]
        pipeline_memory = [peak_memory_added(pipeline) for _ in range(runs)]

        median_decode, median_pipeline = map(statistics.median, (decode_times, pipeline_times))
        memory_decode, memory_pipeline = map(statistics.median, (decode_memory, pipeline_memory))
        time_ratio = median_pipeline / median_decode
        memory_ratio = memory_pipeline / memory_decode
        result = photos.process_photo(data)

        megapixels = size[0] * size[1] / 1e6
        self.stdout.write(
            f"Input: generated JPEG {size[0]}x{size[1]} ({megapixels:.1f} MP, "
            f"{len(data) / 1e6:.1f} MB); medians of {runs} runs"
        )
        self.stdout.write(
            f"  bare Pillow open()+load(): {median_decode * 1000:7.1f} ms   "
            f"peak +{memory_decode / 1e6:6.1f} MB"
        )
        self.stdout.write(
            f"  photo pipeline:            {median_pipeline * 1000:7.1f} ms   "
            f"peak +{memory_pipeline / 1e6:6.1f} MB   -> {result.size[0]}x{result.size[1]} "
            f"({len(result.image) / 1e3:.0f} kB) + thumbnail ({len(result.thumbnail) / 1e3:.0f} kB)"
        )
        failed = False
        for label, ratio, target in (
            ("time", time_ratio, TIME_TARGET),
            ("memory", memory_ratio, MEMORY_TARGET),
        ):
            ok = ratio <= target
            failed |= not ok
            style = self.style.SUCCESS if ok else self.style.ERROR
            verdict = "ok" if ok else "MISSED"
            self.stdout.write(
                style(f"  {label} ratio: {ratio:.2f}x (target <= {target:.1f}x) {verdict}")
            )
        if failed:
            raise CommandError("A pipeline target was missed.")
