"""Request bodies of the content API, and how storage rows become the shared response contracts.

Titles and contents are stripped; whitespace-only is empty, hence 422. Text PostgreSQL cannot
store (NUL characters, lone surrogates) is 422 too, never a 500 from the database driver.
Unknown fields are 422 (``author_id`` in a body is a mistake or an attempt, never ignored).
"""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Row

from content_service.models import Post
from contracts.posts import PostPage, PostRead
from inkwell_runtime.pagination import Page

TITLE_MAX = 200
CONTENT_MAX = 50_000

# Stripped first, then measured and matched: some character that is neither blank nor NUL, and
# no NUL anywhere (PostgreSQL text cannot hold one). The pattern is in the OpenAPI document too,
# so clients and fuzzers know what is refused. Lone surrogates never get this far: pydantic
# refuses them as strings.
STORABLE_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TITLE_MAX, pattern=STORABLE_TEXT
    ),
]
Content = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=CONTENT_MAX, pattern=STORABLE_TEXT
    ),
]


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    content: Content


class PostUpdate(BaseModel):
    """A partial update: send only the fields to change; at least one.

    ``null`` is not "unchanged" and not "blank": it is rejected (422), so a client that
    serialises missing values as ``null`` cannot wipe a post by accident.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: Title | SkipJsonSchema[None] = Field(default=None)
    content: Content | SkipJsonSchema[None] = Field(default=None)

    @field_validator("title", "content", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> "PostUpdate":
        if not self.model_fields_set:
            raise ValueError("nothing to update: send at least one of title, content")
        return self


def post_read(post: Post | Row[Any]) -> PostRead:
    return PostRead.model_validate(_post_fields(post))


def post_page(page: Page[Row[Any]]) -> PostPage:
    """Rows straight into the page: validated once, in pydantic's core, not post by post."""
    return PostPage.model_validate({"items": [_post_fields(r) for r in page.items], **page.info()})


def _post_fields(post: Post | Row[Any]) -> dict[str, Any]:
    """A post (an ORM object or a row of the posts table) in the shape of ``PostRead``."""
    return {
        "id": post.id,
        "title": post.title,
        "content": post.content,
        "author": {"id": post.author_id, "username": post.author_username},
        "date_posted": post.date_posted,
        "updated_at": post.updated_at,
    }
