"""Profile-picture metadata as the media service returns it after an upload."""

import uuid

from pydantic import BaseModel, Field


class PictureMetadata(BaseModel):
    user_id: uuid.UUID
    key: str = Field(description="The object's key in the bucket, under `profile_pics/`.")
    content_type: str = Field(description="Decided by the image's bytes, never by the filename.")
    size: int = Field(description="Bytes stored (the image re-encoded without its metadata).")
    url: str = Field(description="Where anyone can fetch it (the public picture route).")
