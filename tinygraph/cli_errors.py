"""How the `tinygraph` command fails: one line on standard error, `tinygraph: error: ...`, and an exit code.

- 2, bad usage: argparse's own errors (after the usage line), and a `UsageError` raised by a command
  that checks its arguments before doing any work (a model too large for the machine).
- 1, a failure: a `CommandError` (a path that cannot be written, a missing optional package) and any
  other exception, whatever its type: training that diverged, a full disk, an out-of-memory error.
- 130, interrupted: Ctrl-C (KeyboardInterrupt).

No traceback is shown (set `TINYGRAPH_DEBUG=1` to see one). When the reader of the output goes away
(`tinygraph demo | head -1`), the command ends quietly with status 1, as Python advises: the
reader left on purpose, and there is nobody to tell. Every subcommand gets all of this from
`run_guarded`, which `cli.main` wraps around it; a subcommand raises, it never prints its own errors.
"""

import math
import os
import sys

from .npz import check_writable

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class CommandError(Exception):
    """A problem reported as one line on stderr with exit status 1."""


class UsageError(CommandError):
    """An argument that cannot work, found before any work was done: one line, exit status 2."""


def run_guarded(run, out):
    """Call `run()` (a subcommand, returning its exit code) and turn anything it raises into the exit above."""
    try:
        code = run()
        if hasattr(out, "flush"):
            out.flush()  # here, not at exit: a closed pipe is noticed where it is handled
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return _report("interrupted", EXIT_INTERRUPTED)
    except Exception as error:
        if os.environ.get("TINYGRAPH_DEBUG"):
            raise
        return _report(_describe(error), EXIT_USAGE if isinstance(error, UsageError) else EXIT_FAILURE)


def _describe(error):
    """One line for any exception: its message, with its type where the message alone would not say."""
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, CommandError):
        return message
    if isinstance(error, MemoryError):
        return f"out of memory: {message}"
    if isinstance(error, (ValueError, TypeError, FloatingPointError, OSError, ModuleNotFoundError)):
        return message  # tinygraph's own messages say who and what; OSError's name the file
    return f"{type(error).__name__}: {message}"


def _report(message, code):
    try:
        print(f"tinygraph: error: {message}", file=sys.stderr)
    except (BrokenPipeError, ValueError):
        pass
    return code


def _quiet_stdout():
    """After a broken pipe, point standard output at the null device, so that Python's own flush at exit
    does not fail again with a traceback of its own."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


# -- checks a command makes before it starts working --------------------------------------------------


def writable(option, path):
    """`path` if a file can be written there (`--save`, `--plot`), else a `CommandError` naming `option`.

    Checked before training, so that hours of work are not lost to a typo: the directory must exist and
    take a new file, and the path must not be a directory or a read-only file.
    """
    try:
        check_writable(path, option)
    except (OSError, ValueError) as error:
        raise CommandError(str(error)) from None
    return path


def check_outputs(args):
    """Fail before any work, not after it: every output path can be written, matplotlib is there for --plot."""
    if args.plot:
        need_matplotlib()
    for option in ("--save", "--plot"):
        path = getattr(args, option[2:], None)
        if path:
            writable(option, path)


def need_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError("--plot needs matplotlib: pip install 'tinygraph[plot]'") from None


def fits_in_memory(option, n_values, bytes_per_value=8, copies=4):
    """Refuse (`UsageError`) a model of `n_values` parameters that would need more than this machine's memory.

    `copies`: the weights, their gradients, the optimizer's state and the step's temporaries.
    """
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return  # the machine does not say: the allocation itself will tell
    needed = n_values * bytes_per_value * copies
    if needed > total:
        raise UsageError(f"{option}: a model of {n_values:,} parameters needs about {_size(needed)} of memory, "
                         f"more than this machine's {_size(total)}")


def _size(n_bytes):
    units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    power = min(int(math.log(max(n_bytes, 1), 1000)), len(units) - 1)
    return f"{n_bytes / 1000**power:.3g} {units[power]}"
