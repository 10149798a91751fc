"""Blog posts as the content service serves them."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from contracts.pages import PageInfo


class Author(BaseModel):
    """Who wrote a post, as their token named them when they wrote it."""

    id: uuid.UUID
    username: str


class PostRead(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    author: Author
    date_posted: datetime
    updated_at: datetime = Field(description="Equal to date_posted until the first edit")


class PostPage(PageInfo):
    """One page of posts, newest first."""

    items: list[PostRead]
