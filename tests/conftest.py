"""Shared test settings."""

from hypothesis import settings

# No wall-clock assertions anywhere: Hypothesis's per-example deadline would be one.
settings.register_profile("tabletime", deadline=None, max_examples=200)
settings.load_profile("tabletime")
