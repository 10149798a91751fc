"""Blog posts as the content service serves them."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


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


class PostPage(BaseModel):
    """One page of posts, newest first."""

    posts: list[PostRead]
    total: int = Field(description="Posts in the whole listing, not only on this page")
    skip: int
    limit: int
    has_more: bool = Field(description="Whether more posts follow this page")
