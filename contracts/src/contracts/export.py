"""Regenerate the committed OpenAPI documents: ``python -m contracts.export [service ...]``."""

import importlib
import json
import sys

from contracts.openapi import SERVICES, document_path


def export(service: str) -> None:
    module_name, _, attr = SERVICES[service].partition(":")
    app = getattr(importlib.import_module(module_name), attr)()
    path = document_path(service)
    path.write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {path}")


def main(argv: list[str]) -> int:
    names = argv or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        print(
            f"unknown service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}",
            file=sys.stderr,
        )
        return 2
    for name in names:
        try:
            export(name)
        except ModuleNotFoundError as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
