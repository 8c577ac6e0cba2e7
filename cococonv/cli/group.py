"""The `cococonv` root group and the single boundary that turns errors into one line.

Its own module so the command modules can take the group without importing the package
that imports them (cococonv.cli registers them).
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import traceback

import click

from ..errors import CococonvError
from ..staging import os_error
from ..text import printable


#: Each command and the module of ``cococonv.cli`` that registers it. A run imports only
#: its command's module (``cococonv convert`` skips filter's expression parser, merge,
#: split...: some 70 ms of a 0.9 s coco->coco run); listing them (``--help``) imports all.
COMMAND_MODULES = {
    "convert": "convert", "create": "project", "detect": "detect", "diff": "diff",
    "export": "project", "filter": "filter", "formats": "formats", "import": "project",
    "info": "info", "merge": "merge", "show": "show", "split": "split", "stats": "stats",
    "transform": "transform", "validate": "validate",
}


def register_all() -> None:
    """Import every command module, so ``cli.commands`` holds every command."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"{__package__}.{module}")


class CococonvGroup(click.Group):
    """Root group: library errors become `error: <file>: <where>: <message>` and an exit code;
    so does an OSError naming a file (a read or write the system refused: exit 1).

    Commands load on first use (``COMMAND_MODULES``)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            importlib.import_module(f"{__package__}.{module}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        register_all()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except CococonvError as err:
            _fail(ctx, f"error: {err}", err.exit_code)
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
            name = signal.Signals(signum).name
            click.echo(f"error: interrupted ({name}); nothing was written", err=True)
            ctx.exit(128 + signum)
        except BrokenPipeError:
            ctx.exit(1)
        except MemoryError:  # not inside load or save (those name the file)
            _fail(ctx, "error: memory ran out; the data needs more memory than this machine "
                       "has (docs/limits.md)", 1)
        except OSError as exc:
            if exc.filename is None:  # no path to name: treated as a bug, below
                _bug(ctx, exc)
            _fail(ctx, f"error: {os_error(exc)}", 1)  # the system refused a read or a write
        except Exception as exc:  # a bug: one line, traceback only under -v
            _bug(ctx, exc)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``kill``, ``timeout``, a closed terminal) raised like Ctrl-C, so
    the same cleanup runs: workers stopped, the staging folder removed, nothing written."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def catch_termination() -> None:
    """Turn SIGTERM and SIGHUP into :class:`Interrupted` in this (the main) process; the
    engine's workers put the defaults back (cococonv.engine)."""
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _raise_interrupted)


def _fail(ctx: click.Context, line: str, code: int) -> None:
    if ctx.obj and ctx.obj.get("verbose"):
        traceback.print_exc(file=sys.stderr)
    click.echo(printable(line), err=True)
    ctx.exit(code)


def _bug(ctx: click.Context, exc: BaseException) -> None:
    _fail(ctx, f"error: internal error ({type(exc).__name__}: {exc}); please report it with "
               f"the output of -v", 1)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from cococonv.raster import speedups
    click.echo(f"cococonv, version {version('cococonv')}\n"
               f"compiled mask helpers: {speedups.describe()}")
    ctx.exit()


@click.group(cls=CococonvGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Explain what happens; tracebacks on errors.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version,
              help="Show the version, and whether the compiled helpers are built, and exit.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Convert computer-vision annotation datasets between COCO, Pascal VOC and CVAT."""
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose
