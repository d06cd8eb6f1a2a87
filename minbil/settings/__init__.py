"""Settings: `base` reads everything from the environment; `test` adjusts it for the suite."""
