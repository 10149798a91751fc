"""What an app's lifespan or factory put on ``app.state``, as FastAPI dependencies."""

from collections.abc import Callable
from typing import Any

from fastapi import Request


def state_dependency(name: str) -> Callable[[Request], Any]:
    """A dependency answering ``request.app.state.<name>`` (tests override it like any other)::

    get_store = state_dependency("store")
    Store = Annotated[PictureStore, Depends(get_store)]
    """

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"get_{name}"
    dependency.__qualname__ = dependency.__name__
    return dependency
