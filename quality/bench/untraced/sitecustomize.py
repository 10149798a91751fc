"""bench-tracing's baseline: every process of the baseline stack starts with this folder on
``PYTHONPATH``, so Python runs it first (``site`` imports ``sitecustomize``).

It makes tracing as absent as it can be without a second checkout: the OpenTelemetry SDK, its
exporters and every instrumentation cannot be imported (as if never installed; a process that
tried would fail to start, so the baseline stack also proves tracing-off never imports them).
What stays is the OpenTelemetry API that FastAPI itself imports in every app (it did before
tracing was built too). Each process leaves a mark in ``$BENCH_UNTRACED_MARKS`` so the bench
knows the hook ran.
"""

import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

ABSENT = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.instrumentation")


class Untraced(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.startswith(ABSENT):
            raise ModuleNotFoundError(f"{fullname} is absent in bench-tracing's baseline")
        return None


sys.meta_path.insert(0, Untraced())
if marks := os.environ.get("BENCH_UNTRACED_MARKS"):
    Path(marks, str(os.getpid())).touch()
