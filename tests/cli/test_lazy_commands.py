"""The root group loads a command's module only when that command runs (start-up time)."""
from __future__ import annotations

import subprocess
import sys

from cococonv.cli.group import COMMAND_MODULES


def test_lazy_command_table_names_every_registered_command(cli):
    assert set(COMMAND_MODULES) == set(cli.commands)
    for name, command in cli.commands.items():
        assert command.callback.__module__ == f"cococonv.cli.{COMMAND_MODULES[name]}"


def test_a_run_imports_only_its_command_module(tmp_path):
    code = ("import sys\n"
            "from cococonv.cli.group import cli\n"
            "try:\n"
            "    cli(['detect', sys.argv[1]], prog_name='cococonv')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('cococonv.cli.')))\n")
    (tmp_path / "a.json").write_text('{"images": [], "annotations": [], "categories": []}')
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    loaded = {name.rsplit(".", 1)[1] for name in eval(out)}
    assert "detect" in loaded
    assert not loaded & {"filter", "split", "merge", "project", "transform", "diff"}
