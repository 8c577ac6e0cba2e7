"""The hostile values mutators plant: numbers, names, strings, each as text or as a value.

Numbers come as JSON/XML text because several (`10**400`, `NaN`, `1e309`) have no exact
Python float and must reach the parser as written. Names aim at path handling: escapes
relative to the output folder, absolute paths into the sandbox's jail, separators and
characters that list files and XML cannot hold.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

NUMBER_TEXTS = [
    "0", "-1", "1", "-0.0", "0.5", "3.7", "-3.5", "65535", "65536", "100000", "1e9",
    "2147483647", "2147483648", "-2147483648", "4294967296", "9007199254740993",
    "9223372036854775808", "18446744073709551616", "-9223372036854775809",
    "1e308", "-1e308", "1e-320", "1" + "0" * 400, "-1" + "0" * 400, "1e309",
    "NaN", "Infinity", "-Infinity", "0x10", "1_000", "+5", ".5", "5.", "1e", "--1",
]
# What a JSON parser accepts as a number, for JSON mutations that must stay valid JSON.
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")


@dataclass
class Context:
    """What a mutator may use: the case's random generator and the sandbox it lives in."""

    rng: random.Random
    jail: Path          # the case's outer folder: every escape stays inside it
    secret: Path        # a file outside the input whose bytes must never reach the output

    def number_text(self, json_only: bool = False) -> str:
        """A hostile number; `json_only` keeps to what Python's json writes (NaN included)."""
        if json_only:
            return self.rng.choice([t for t in NUMBER_TEXTS if _JSON_NUMBER.match(t)]
                                   + ["NaN", "Infinity"])
        return self.rng.choice(NUMBER_TEXTS)

    def name(self) -> str:
        """A file, label or subset name that a careless join turns into an escape."""
        rng = self.rng
        ups = "../" * rng.randint(1, 9)
        choices = [
            ups + "x.jpg", ups + "escape", ups + self.secret.name, "../x.jpg",
            str(self.jail / "abs" / "x.jpg"), str(self.secret), str(self.jail / "abs"),
            "..\\..\\..\\x.jpg", "C:\\x.jpg", "C:x.jpg", "\\\\server\\share\\x.jpg",
            "a\x00b.jpg", "a\nb.jpg", "c d.jpg", "x\ty.jpg", "x.jpg\r", "", ".", "..", "/",
            "x/../../../y.jpg", "./x.jpg", "sub/dir/x.jpg", "~/x.jpg", "CON", "nul.jpg",
            "a" * 300 + ".jpg", "é漢字.jpg", "\u202eexe.jpg", "<>:\"|?*.jpg", "%s%n",
            "${HOME}", "x" * 5000, "-", "--help", ".cococonv-x", "images/../../x.jpg",
        ]
        return rng.choice(choices)

    def long_string(self) -> str:
        return self.rng.choice(["A" * 100_000, "A" * 2_000_000, "\U0001F600" * 50_000])


def tweak_string(ctx: Context, text: str) -> str:
    """Edit a string by one step: a char deleted, inserted or replaced, or a number in it."""
    rng = ctx.rng
    numbers = list(re.finditer(r"-?\d+(\.\d+)?", text))
    op = rng.randrange(5)
    if numbers and op < 2:
        hit = rng.choice(numbers)
        return text[:hit.start()] + ctx.number_text() + text[hit.end():]
    if not text:
        return ctx.name()
    at = rng.randrange(len(text))
    if op == 2:
        return text[:at] + text[at + 1:]
    if op == 3:
        return text[:at] + rng.choice("0;,.- \x00\n\\/<&") + text[at:]
    return text[:at] + chr(rng.randrange(32, 127)) + text[at + 1:]
