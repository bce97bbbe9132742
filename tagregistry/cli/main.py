"""Entry point: ``tagregistry [--db URL] COMMAND ...``.

Exit codes: 0 success, 1 a user error (one-line message on stderr), 2 usage error, 141
when the reader of stdout closed the pipe early (as for a process ended by SIGPIPE), 130
on Ctrl-C and 143 on SIGTERM (both after removing partial output files).
Each command group lives in its own module exposing ``add_commands(subparsers)``; handlers
import the library lazily so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tagregistry._version import __version__

SIGPIPE = 13  # signal.SIGPIPE's number, spelled out because Windows lacks it
SIGTERM = 15

COMMAND_MODULES = (
    "tagregistry.cli.registry_commands",
    "tagregistry.cli.base_commands",
    "tagregistry.cli.cache_commands",
    "tagregistry.cli.hub_commands",
    "tagregistry.cli.train_commands",
    "tagregistry.cli.predict_command",
    "tagregistry.cli.evaluate_command",
    "tagregistry.cli.demo_command",
    "tagregistry.cli.data_commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="tagregistry",
        description="Learned domain and function tags for frozen LLMs: registry, plugins, packs.",
    )
    parser.add_argument("--version", action="version", version=f"tagregistry {__version__}")
    parser.add_argument(
        "--db", metavar="URL", default=None,
        help="SQLAlchemy URL of the registry (default: $TAGREGISTRY_DB_URL or $TAGREGISTRY_HOME/registry.db)",
    )
    parser.add_argument(
        "--read-only", action="store_true",
        help="open the registry without writing to it (same as TAGREGISTRY_READ_ONLY=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # command group not part of this build
            raise
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from tagregistry.terminal import echo
    if args.read_only:
        import os

        os.environ["TAGREGISTRY_READ_ONLY"] = "1"  # read by every Registry this process opens
    from tagregistry.errors import TagRegistryError

    closed = sys.stdout is None  # started with stdout closed (`tagregistry list >&-`)
    if closed:
        sys.stdout = _ClosedOutput()
    try:
        _refuse_memory_database(args.db)
        with _terminated_like_interrupted(), _one_line_warnings():
            code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        if closed and sys.stdout.written:  # type: ignore[union-attr]
            echo("error: standard output is closed, so the output was lost; redirect it "
                 "instead (e.g. > out.txt or > /dev/null)", err=True)
            return 1
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except (TagRegistryError, OSError) as exc:
        echo(f"error: {_one_line(exc)}", err=True)
        return 1
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        return 130
    except _Terminated:
        echo("terminated", err=True)
        return 128 + SIGTERM


class _ClosedOutput(io.TextIOBase):
    """Stands in for a closed stdout: takes writes and remembers that there were some."""

    written = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return len(text)


def _refuse_memory_database(url: str | None) -> None:
    """``--db sqlite://`` is a database in memory: every write would vanish at exit."""
    if not url:
        return
    from tagregistry.errors import InputError
    from tagregistry.maintenance import registry_location

    if url.split(":", 1)[0].split("+", 1)[0] == "sqlite" and registry_location(url)[1] is None:
        raise InputError(f"--db {url} is an in-memory database: whatever a command writes "
                         "vanishes when it exits; give a file, e.g. sqlite:////path/registry.db")


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks (partial files) run."""


@contextmanager
def _terminated_like_interrupted() -> Iterator[None]:
    """While a command runs, SIGTERM unwinds the stack like Ctrl-C instead of killing the
    process where it stands (which left ``.partial`` output files behind)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if frame is not None and frame.f_code.co_name == "__del__":
            # raised inside a finalizer the exception would be printed and dropped, and the
            # command would run on: deliver the signal again once the finalizer is done
            threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
            return
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _one_line_warnings() -> Iterator[None]:
    """The library's own warnings as ``warning: ...`` lines; others as Python prints them."""
    import warnings

    from tagregistry.terminal import echo

    default = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        if category.__module__.startswith("tagregistry"):
            echo(f"warning: {_one_line(message)}", err=True)  # type: ignore[arg-type]
        else:
            default(message, category, filename, lineno, file, line)  # type: ignore[arg-type]

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = default


def _reader_went_away() -> int:
    """stdout's reader closed the pipe (``tagregistry show --json | head -1``): stop quietly.

    What is still buffered goes to /dev/null so the interpreter's final flush cannot fail;
    the exit code is the shell's for a process ended by SIGPIPE.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (in-process callers)
        pass
    return 128 + SIGPIPE


def _one_line(exc: BaseException) -> str:
    """The error message on one line (multi-line messages, e.g. pydantic's, are joined)."""
    return " ".join(part.strip() for part in str(exc).splitlines() if part.strip())


if __name__ == "__main__":
    sys.exit(main())
