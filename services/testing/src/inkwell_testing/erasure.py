"""The internal erasure call every service with user data answers (auth's outbox sends it)."""

import uuid

import httpx

from inkwell_runtime.service_identity import issue_service_token
from inkwell_testing.tokens import TestSigner


async def erase_as_auth(
    client: httpx.AsyncClient, signer: TestSigner, user_id: uuid.UUID, user_headers: dict[str, str]
) -> None:
    """``DELETE /internal/users/{id}``: refused (401) with the user's own token, then done twice
    with auth's service token (204 both times: idempotent). The caller checks its store."""
    token = issue_service_token(signer.key, service="auth", issuer=signer.issuer)
    service = {"Authorization": f"Bearer {token}"}

    as_user = await client.delete(f"/internal/users/{user_id}", headers=user_headers)
    first = await client.delete(f"/internal/users/{user_id}", headers=service)
    again = await client.delete(f"/internal/users/{user_id}", headers=service)

    assert as_user.status_code == 401
    assert (first.status_code, again.status_code) == (204, 204)
