"""The benchmark's measuring tools measure (its figures are printed, never asserted)."""

import io

from PIL import Image

from vehicles.management.commands.bench_images import generated_photo, peak_memory_added


def test_the_generated_input_is_a_12_megapixel_jpeg():
    with Image.open(io.BytesIO(generated_photo())) as img:
        assert (img.format, img.size) == ("JPEG", (4000, 3000))


def test_peak_memory_sees_what_an_operation_allocates():
    small = peak_memory_added(lambda: None)
    large = peak_memory_added(lambda: bytearray(64 * 1024 * 1024))

    assert large - small >= 60 * 1024 * 1024
