"""Blog posts as the content service serves them."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class Author(BaseModel):
    id: uuid.UUID
    username: str


class PostRead(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    author: Author
    date_posted: datetime
    updated_at: datetime


class PostPage(BaseModel):
    posts: list[PostRead]
    total: int
    skip: int
    limit: int
    has_more: bool
