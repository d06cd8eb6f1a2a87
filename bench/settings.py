"""
`make bench-api`'s reference endpoints: the app's settings, with nothing changed but the URLs
(`bench.reference`: the app's own, plus the reference views). The app's figures are always
measured under `minbil.settings.base` itself.
"""

from minbil.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.reference"
