"""Options shared by commands, declared once, and plugin options turned into click options.

Index of shared options:
  -i/--input, -if/--input-format     convert, import, detect, info
  -o/--output, -f/--format           convert, export, create
  -p/--project                       import, export, transform, filter, split, stats,
                                     validate, diff (there one side)
  --overwrite                        convert, export, create
  --on-error fail|skip|warn          convert, export, info
  --json                             detect, info, formats, convert (the loss report)
  -t/--transform NAME                convert, transform, export (repeatable, in order;
                                     each transform's options read by route_values)
  --report FILE, --strict            convert, export, transform, filter, split, merge (the
                                     run's --json document in a file; fail, writing nothing,
                                     when the run lost anything)
  -j/--jobs N                        convert, export, import, info (every command that reads
                                     or writes a dataset)
  --engine local|dask, --scheduler   with -j, on the same commands: run the per-item work on a
                                     Dask cluster (docs/cluster.md)
  -q/--quiet, -v/--verbose           every command that reads data (also before the command)

Plugin options come from each plugin's ``options`` tuple. They are accepted directly or after
``--`` (Datumaro's habit); booleans take ``--x``/``--no-x`` or ``--x true|false``.
"""
from __future__ import annotations

import functools
import sys

from collections.abc import Callable, Sequence
from typing import Any

import click

from ..plugin import Option, Plugin
from ..report import ON_ERROR_CHOICES, Report

_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0"}


def _set_flag(name: str) -> Callable:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            root = ctx.find_root()
            root.ensure_object(dict)
            root.obj[name] = True
    return callback


def verbosity_options(func: Callable) -> Callable:
    """-q/-v accepted after the command name too (`cococonv convert -q ...`)."""
    func = click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True,
                        callback=_set_flag("quiet"), help="Print nothing but errors.")(func)
    return click.option("-v", "--verbose", is_flag=True, expose_value=False, is_eager=True,
                        callback=_set_flag("verbose"),
                        help="Explain what happens; tracebacks on errors.")(func)


def overwrite_option(func: Callable) -> Callable:
    return click.option("--overwrite", is_flag=True,
                        help="Replace a non-empty output.")(func)


def on_error_option(func: Callable) -> Callable:
    return click.option("--on-error", type=click.Choice(ON_ERROR_CHOICES, case_sensitive=False),
                        default="fail",
                        show_default=True,
                        help="What to do with a bad record: fail the run, skip it, or skip "
                             "it with a warning.")(func)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as JSON on stdout.")(func)


#: Where --engine dask finds the scheduler when --scheduler is not given.
SCHEDULER_ENV = "COCOCONV_DASK_SCHEDULER"


def jobs_option(func: Callable) -> Callable:
    """-j/--jobs, --engine and --scheduler. The command receives one ``jobs`` value: a
    count of local workers, or the Dask cluster's (``engine.use_dask``), so no command
    and no plugin knows which backend runs the work."""
    @functools.wraps(func)
    def command(*args: Any, engine: str, scheduler: str | None, **kwargs: Any) -> Any:
        kwargs["jobs"] = choose_engine(kwargs.get("jobs"), engine, scheduler)
        return func(*args, **kwargs)

    command = click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                           help="The Dask scheduler --engine dask sends the work to "
                                f"(default: ${SCHEDULER_ENV}).")(command)
    command = click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
                           show_default=True,
                           help="Run the per-image work in local processes (-j) or on a "
                                "Dask cluster that sees the same files (docs/cluster.md)."
                           )(command)
    return click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
                        metavar="N",
                        help="Worker processes for the per-image work (masks, images, XML); "
                             "default and 0: one per usable CPU; 1: this process only. "
                             "Output is identical for any value.")(command)


def choose_engine(jobs: int | None, engine: str, scheduler: str | None) -> int | None:
    """The ``jobs`` value for the API: ``jobs`` itself, or with ``--engine dask`` the
    cluster's (connecting now, so an unreachable scheduler fails before any reading)."""
    if engine != "dask":
        if scheduler is not None:
            raise click.UsageError("--scheduler needs --engine dask")
        return jobs
    if jobs is not None:
        raise click.UsageError("--jobs counts local processes; with --engine dask the "
                               "cluster's workers run the work")
    import os

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if not address:
        raise click.UsageError(f"--engine dask needs --scheduler tcp://HOST:PORT (or "
                               f"{SCHEDULER_ENV})")
    from ..engine import use_dask

    return use_dask(address)


def transform_option(func: Callable) -> Callable:
    return click.option("-t", "--transform", "transforms", multiple=True, metavar="NAME",
                        help="Apply a transform (repeatable, in order; see `cococonv formats`)."
                        )(func)


def run_options(func: Callable) -> Callable:
    """What every command that writes a dataset takes: -t, --overwrite, --on-error, -j,
    -q/-v and --json (in this order in --help)."""
    for option in (json_option, verbosity_options, jobs_option, on_error_option,
                   overwrite_option, transform_option):
        func = option(func)
    return func


def refuse_json_to_stdout(as_json: bool, target: str) -> None:
    if as_json and target == "-":
        raise click.UsageError("--json prints the report on stdout, which -o - already uses "
                               "for the data; write the data to a file")


def report_options(func: Callable) -> Callable:
    """--report FILE and --strict, for every command that writes a dataset."""
    func = click.option("--report", "report_file", metavar="FILE", default=None,
                        help="Also write the run's report as JSON to FILE (the --json "
                             "data), also when --strict refuses the run.")(func)
    return click.option("--strict", is_flag=True,
                        help="Fail (exit 1, no output written) when the run lost a value "
                             "or skipped a record; approximations are allowed.")(func)


def check_report_file(path: str | None, target: str, source: str | None = None) -> None:
    """Refuse a --report FILE that is the standard output, or lies in the input (never
    modified) or in the output (which holds the dataset alone)."""
    if path is None:
        return
    if path == "-" or not path:
        raise click.UsageError("--report needs a file name; use --json for the standard "
                               "output")
    from ..paths import overlaps
    for what, where in (("input", source), ("output", target)):
        if where and where != "-" and overlaps(where, path):
            raise click.UsageError(f"--report {path} overlaps the {what} {where}; write it "
                                   f"somewhere else")


def run_reported(report: Report, as_json: bool, report_file: str | None,
                 run: Callable[[], Any]) -> None:
    """``run()``, then the report (also when --strict refused the run: it says why)."""
    from ..errors import LossError
    try:
        run()
    except LossError:
        render_report(report, as_json, report_file)
        raise
    render_report(report, as_json, report_file)


def make_report(ctx: click.Context, on_error: str = "fail") -> Report:
    obj = ctx.find_root().obj or {}
    return Report(on_error, quiet=obj.get("quiet", False), verbose=obj.get("verbose", False))


def click_option_for(opt: Option) -> click.Option:
    """The click option for a plugin option; its default stays None so the plugin's applies."""
    dest = "plugin__" + opt.name
    help_text = f"{opt.help} [default: {_show(opt.default, opt)}]"
    if opt.type is bool:
        return click.Option([f"{opt.flag}/--no-{opt.flag[2:]}", dest], default=None,
                            help=help_text)
    if opt.choices and opt.type is not list:
        return click.Option([opt.flag, dest], type=click.Choice(opt.choices,
                                                                case_sensitive=False),
                            default=None,
                            help=help_text)
    kinds = {int: click.INT, float: click.FLOAT}
    flags = [opt.flag] + ([opt.short] if opt.short else [])
    return click.Option([*flags, dest], type=kinds.get(opt.type, click.STRING), default=None,
                        help=help_text, metavar=opt.type.__name__.upper())


def _show(value: Any, opt: Option | None = None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        # An empty choice list means "all of them"; an empty free list means "none given".
        return ",".join(value) or ("all" if opt is not None and opt.choices else "none")
    return "none" if value is None or value == "" else str(value)


def normalise_args(args: Sequence[str], options: Sequence[Option]) -> list[str]:
    """Drop a bare ``--`` and rewrite ``--flag true|false`` into click's ``--flag/--no-flag``."""
    bool_flags = {opt.flag for opt in options if opt.type is bool}
    out: list[str] = []
    args = list(args)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            continue
        name, eq, value = arg.partition("=")
        if name in bool_flags:
            word = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            if word.lower() in _BOOL_WORDS:
                truthy = word.lower() in {"true", "yes", "on", "1"}
                out.append(name if truthy else "--no-" + name[2:])
                i += 1 if eq else 2
                continue
        out.append(arg)
        i += 1
    return out


class PluginOptionsCommand(click.Command):
    """A command whose options also include those of the plugins named on its command line.

    ``plugin_lookup(args)`` returns the plugin classes the arguments select (e.g. the
    importer of ``-if`` and the exporter of ``-f``).
    """

    def __init__(self, *args: Any, plugin_lookup: Callable[[list[str]], list[type[Plugin]]],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plugin_lookup = plugin_lookup
        self._base_params = list(self.params)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        plugins = self.plugin_lookup(args)
        options: dict[str, Option] = {}
        for plugin in plugins:
            for opt in plugin.options:
                options.setdefault(opt.name, opt)
        self.params = self._base_params + [click_option_for(o) for o in options.values()]
        ctx.meta["cococonv.plugins"] = plugins
        return super().parse_args(ctx, normalise_args(args, list(options.values())))


def peek(args: Sequence[str], *names: str) -> str | None:
    """The value of the first of ``names`` in raw arguments (before click parses them)."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def split_plugin_values(kwargs: dict[str, Any], plugins: Sequence[type[Plugin]]
                        ) -> list[dict[str, Any]]:
    """Per plugin, the option values the user gave (popped from click's kwargs)."""
    given = {key[len("plugin__"):]: kwargs.pop(key) for key in list(kwargs)
             if key.startswith("plugin__")}
    given = {k: v for k, v in given.items() if v is not None}
    return [{opt.name: given[opt.name] for opt in plugin.options if opt.name in given}
            for plugin in plugins]


def transforms_in(args: Sequence[str]) -> list[type[Plugin]]:
    """The transform plugins ``-t``/``--transform`` name in raw arguments, in order (an
    unknown name is left for the run to refuse with the list of transforms)."""
    from ..registry import default_registry

    registry = default_registry()
    found: list[type[Plugin]] = []
    for i, arg in enumerate(args):
        name = args[i + 1] if arg in ("-t", "--transform") and i + 1 < len(args) else \
            arg.split("=", 1)[1] if arg.startswith("--transform=") else None
        if name is not None and registry.has("transform", name):
            found.append(registry.transform(name))
    return found


def exporter_side(exporter: type[Plugin]) -> list[type[Plugin]]:
    """The exporter and, when it lacks them, the options a transform does for it
    (``--segmentation-mode``, ``--crop-covered``: cococonv.chain), as one more plugin of
    kind exporter whose values go with the exporter's."""
    from ..chain import implied_options

    implied = implied_options(exporter)
    if not implied:
        return [exporter]
    extra = type("ImpliedExportOptions", (Plugin,),
                 {"name": exporter.name, "kind": "exporter", "options": implied})
    return [exporter, extra]


def route_values(kwargs: dict[str, Any], plugins: Sequence[type[Plugin]],
                 transforms: Sequence[str]
                 ) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The importer's options, the exporter's, and the transform chain (each ``-t`` name
    with the values of its options), from click's kwargs: the one way every command reads
    plugin options. An option several plugins declare goes to each of them."""
    values = split_plugin_values(kwargs, plugins)
    by_kind: dict[str, dict[str, Any]] = {"importer": {}, "exporter": {}}
    transform_options: dict[str, dict[str, Any]] = {}
    for plugin, given in zip(plugins, values):
        if plugin.kind == "transform":
            transform_options[plugin.name.casefold()] = given  # -t names: any case
        else:
            by_kind[plugin.kind].update(given)
    if sum(plugin.kind == "importer" for plugin in plugins) > 1:
        # The importer is not known yet (stdin, nothing detected): an option the exporter
        # also declares (--save-images) is the exporter's, not a guess at the importer's.
        for name in by_kind["exporter"]:
            by_kind["importer"].pop(name, None)
    chain = [(name, dict(transform_options.get(name.casefold(), {}))) for name in transforms]
    return by_kind["importer"], by_kind["exporter"], chain


_KEPT: list[object] = []


def render_report(report: Report, as_json: bool, report_file: str | None = None) -> None:
    """The end-of-run table on stderr and the line saying what was written (the report as
    JSON on stdout with --json, in ``report_file`` with --report).

    The report (and the dataset it holds) is kept alive until the process exits: the
    console script ends with ``os._exit``, so it is never freed object by object.
    """
    _KEPT.append(report)
    if as_json or report_file:
        from ..fileio import dumps_json
        data = dumps_json(report.as_dict())
        if report_file:
            write_report(report_file, data)
        if as_json:
            click.echo(data.decode())
    report.info(f"peak memory: {peak_rss_mib()} MiB resident (the process's high-water mark)")
    table = report.table()
    if table and not report.quiet:
        click.echo(table, err=True)
    if report.written is not None and not report.quiet and not as_json:
        click.echo(report.written.line(), err=True)


def peak_rss_mib() -> int:
    """This process's peak resident memory in MiB (0 where the platform cannot say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak >> 20 if sys.platform == "darwin" else peak >> 10


def write_report(path: str, data: bytes) -> None:
    """The whole file or nothing: a sibling moved into place."""
    import os

    from ..staging import os_error
    part = f"{path}.part-{os.getpid()}"
    try:
        with open(part, "wb") as fh:
            fh.write(data + b"\n")
        os.replace(part, path)
    except OSError as exc:
        try:
            os.unlink(part)
        except OSError:
            pass
        raise os_error(exc, path, "cannot write the report") from None
