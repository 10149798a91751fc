"""Only with ``AUTH_PROVIDER=cognito``: confirming a sign-up with the code Cognito mailed."""

from fastapi import APIRouter, status

from auth_service.api.deps import Provider
from auth_service.cognito import CognitoProvider
from auth_service.schemas import ConfirmRequest
from inkwell_runtime.errors import error_responses

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses({400: "Invalid or expired confirmation code"}),
)
async def confirm(body: ConfirmRequest, provider: Provider) -> None:
    """Confirm an account with the code Cognito sent (``COGNITO_CONFIRM=code``); it may then
    log in."""
    assert isinstance(provider, CognitoProvider)  # the router is mounted with Cognito only
    await provider.confirm(body.username, body.code)
