"""Profile-picture metadata as the media service returns it after an upload."""

import uuid

from pydantic import BaseModel


class PictureMetadata(BaseModel):
    user_id: uuid.UUID
    key: str
    content_type: str
    size: int
    url: str
