"""Every ``pattern`` in the committed OpenAPI documents means the same to Python's ``re`` (what
the services, schemathesis and Python clients run) and to ECMA-262 (JSON Schema's dialect: what
a JavaScript client or validator runs), with and without the ``u`` flag.

ECMA-262 is run for real, on the Node.js that Playwright ships with the workspace."""

import json
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright._impl._driver import compute_driver_executable

import contracts

DOCUMENTS = Path(contracts.__file__).parent / "openapi"

JUDGE = """
const {pattern, samples} = JSON.parse(require("fs").readFileSync(0, "utf8"));
const plain = new RegExp(pattern), unicode = new RegExp(pattern, "u");
process.stdout.write(JSON.stringify(samples.map(s => [plain.test(s), unicode.test(s)])));
"""


def patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            else:
                yield from patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from patterns(item)


EVERY_PATTERN = sorted(
    {
        p
        for document in sorted(DOCUMENTS.glob("*.json"))
        for p in patterns(json.loads(document.read_text()))
    }
)


def samples(pattern: str) -> list[str]:
    """Strings of random characters from the whole of Unicode, and of characters that match
    the pattern alone, mixed, so that both answers are well represented."""
    rng = random.Random(pattern)
    anything = [chr(rng.randrange(0x20, 0x30000)) for _ in range(6000)]
    anything = [ch for ch in anything if not 0xD800 <= ord(ch) <= 0xDFFF]
    matching = [ch for ch in anything if re.search(pattern, ch)] or ["a"]
    found = []
    for _ in range(400):
        size = rng.randrange(1, 8)
        source = matching if rng.random() < 0.7 else anything
        found.append("".join(rng.choice(source) for _ in range(size)))
        found.append(rng.choice(matching) + "".join(rng.choice(anything) for _ in range(size)))
    literal = pattern.removeprefix("^").removesuffix("$")  # "^password$" has a single answer
    if re.fullmatch(r"[\w-]*", literal):
        found += [literal, literal + "\n", literal + "x"]
    return [*found, "", "\n", "a\n", "\U0001d400", "\U00020000x"]


def as_json_schema_reads_it(pattern: str) -> re.Pattern[str]:
    """Python's ``$`` also matches before a final newline; ECMA-262's (without the ``m`` flag)
    only at the very end, as Python's ``\\Z``. schemathesis reads it so too; the services match
    whole strings (``fullmatch``)."""
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def ecma(pattern: str, strings: list[str]) -> list[list[bool]]:
    node, _ = compute_driver_executable()
    answer = subprocess.run(  # noqa: S603 - Playwright's own Node.js, our own script
        [node, "-e", JUDGE],
        input=json.dumps({"pattern": pattern, "samples": strings}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: list[list[bool]] = json.loads(answer.stdout)
    return result


def test_the_documents_have_patterns_to_check() -> None:
    assert EVERY_PATTERN, "no pattern in the committed OpenAPI documents"


@pytest.mark.parametrize("pattern", EVERY_PATTERN, ids=lambda p: p[:40])
def test_python_and_ecma_262_agree_on_every_pattern(pattern: str) -> None:
    strings = samples(pattern)
    compiled = as_json_schema_reads_it(pattern)
    python = [compiled.search(s) is not None for s in strings]
    javascript = ecma(pattern, strings)

    disagreements = [
        (s, p, js) for s, p, js in zip(strings, python, javascript, strict=True) if [p, p] != js
    ]
    assert disagreements == []
    assert 0 < sum(python) < len(python)  # both answers were exercised
