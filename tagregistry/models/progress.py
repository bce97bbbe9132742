"""Hide the progress bars Hugging Face libraries draw while loading (``--no-progress``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def library_progress(shown: bool) -> Iterator[None]:
    """Within the block, transformers' bars ("Loading weights") show only if ``shown``."""
    if shown:
        yield
        return
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()
