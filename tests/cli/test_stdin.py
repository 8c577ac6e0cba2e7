"""Reading from stdin: errors name <stdin> and say what is wrong with the data."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("data, line", [
    ("[1,2", "error: <stdin>: line 1 column 5: not valid JSON (unexpected end of data)"),
    ('{"a": 1}', "error: <stdin>: top level: missing key 'images'"),
], ids=["broken-json", "not-coco"])
def test_stdin_with_a_named_format_says_what_is_wrong(runner, cli, data, line):
    result = runner.invoke(cli, ["info", "-if", "coco", "-i", "-"], input=data)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [line]


def test_stdin_without_a_format_asks_for_one(runner, cli):
    result = runner.invoke(cli, ["info", "-i", "-"], input='{"a": 1}')
    assert result.exit_code == 1  # bad data, not a bad command line
    assert result.stderr.startswith("error: <stdin>: no known dataset format found here")
