"""Who may change a post: 401 (who are you?) before 404 (no such post) before 403 (not yours)."""

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from content_service.models import Post
from inkwell_testing.tokens import TestSigner

from .conftest import Caller

pytestmark = pytest.mark.anyio

UPDATE_403 = (403, {"detail": "Not authorized to update this post"})
DELETE_403 = (403, {"detail": "Not authorized to delete this post"})
NOT_FOUND = (404, {"detail": "Post not found"})
NO_TOKEN = (401, {"detail": "Not authenticated"})

# (method, who calls, which post) -> (status, body); a body of None is not checked.
CASES = {
    "patch: author": ("PATCH", "alice", "existing", (200, None)),
    "patch: another user": ("PATCH", "bob", "existing", UPDATE_403),
    "patch: admin, not the author": ("PATCH", "admin", "existing", UPDATE_403),
    "patch: no token": ("PATCH", None, "existing", NO_TOKEN),
    "patch: missing post": ("PATCH", "alice", "missing", NOT_FOUND),
    "patch: missing post, not the author": ("PATCH", "bob", "missing", NOT_FOUND),
    "patch: missing post, no token": ("PATCH", None, "missing", NO_TOKEN),
    "delete: author": ("DELETE", "alice", "existing", (204, None)),
    "delete: admin": ("DELETE", "admin", "existing", (204, None)),
    "delete: another user": ("DELETE", "bob", "existing", DELETE_403),
    "delete: no token": ("DELETE", None, "existing", NO_TOKEN),
    "delete: missing post": ("DELETE", "bob", "missing", NOT_FOUND),
    "delete: missing post, no token": ("DELETE", None, "missing", NO_TOKEN),
}


@pytest.mark.parametrize(("method", "who", "which", "expected"), CASES.values(), ids=CASES.keys())
async def test_ownership(
    client: AsyncClient,
    db_session: AsyncSession,
    signer: TestSigner,
    post: dict[str, Any],
    callers: dict[str, Caller],
    method: str,
    who: str | None,
    which: str,
    expected: tuple[int, dict[str, str] | None],
) -> None:
    post_id = post["id"] if which == "existing" else str(uuid.uuid4())
    headers = callers[who].headers(signer) if who else {}
    body = {"title": "Changed"} if method == "PATCH" else None

    response = await client.request(method, f"/api/posts/{post_id}", json=body, headers=headers)

    status, detail = expected
    assert response.status_code == status
    if detail is not None:
        assert response.json() == detail
    stored = await db_session.get(Post, uuid.UUID(post["id"]), populate_existing=True)
    if status >= 400:  # a refused request changed nothing
        assert stored is not None
        assert (stored.title, stored.content) == (post["title"], post["content"])


@pytest.fixture
def callers(alice: Caller, bob: Caller, admin: Caller) -> dict[str, Caller]:
    return {"alice": alice, "bob": bob, "admin": admin}
