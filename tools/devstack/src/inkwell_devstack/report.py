"""The table ``make dev`` prints once the stack is up."""

from dataclasses import dataclass


@dataclass
class Row:
    name: str
    url: str
    status: str


def format_table(rows: list[Row]) -> str:
    head = Row("NAME", "URL", "STATUS")
    width_name = max(len(r.name) for r in [head, *rows])
    width_url = max(len(r.url) for r in [head, *rows])
    return "\n".join(
        f"  {r.name:<{width_name}}  {r.url:<{width_url}}  {r.status}".rstrip()
        for r in [head, *rows]
    )
