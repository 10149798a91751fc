"""Posts: list, read, write, edit, delete; and one author's posts."""

import uuid

from fastapi import APIRouter, Response, status

from content_service import posts
from content_service.api.deps import CurrentClaims, DbSession, Pagination, ReadDb
from content_service.schemas import PostCreate, PostUpdate, post_page, post_read
from contracts.posts import PostPage, PostRead
from inkwell_runtime.errors import UNAUTHORIZED, error_responses

router = APIRouter(tags=["posts"])

NOT_FOUND = {404: posts.PostNotFound.detail}


@router.get("/api/posts", response_model=PostPage)
async def list_posts(session: ReadDb, page: Pagination) -> PostPage:
    """Every post, newest first."""
    return post_page(await posts.list_posts(session, page))


@router.get("/api/users/{user_id}/posts", response_model=PostPage)
async def list_user_posts(user_id: uuid.UUID, session: ReadDb, page: Pagination) -> PostPage:
    """One author's posts, newest first (an unknown user simply has none)."""
    return post_page(await posts.list_posts(session, page, author_id=user_id))


@router.get("/api/posts/{post_id}", response_model=PostRead, responses=error_responses(NOT_FOUND))
async def read_post(post_id: uuid.UUID, session: ReadDb) -> PostRead:
    return post_read(await posts.get_post(session, post_id))


@router.post(
    "/api/posts",
    status_code=status.HTTP_201_CREATED,
    response_model=PostRead,
    responses=error_responses(UNAUTHORIZED),
)
async def create_post(
    body: PostCreate, claims: CurrentClaims, session: DbSession, response: Response
) -> PostRead:
    """The author is the caller, as their token names them."""
    post = await posts.create_post(session, claims, title=body.title, content=body.content)
    response.headers["Location"] = f"/api/posts/{post.id}"
    return post_read(post)


@router.patch(
    "/api/posts/{post_id}",
    response_model=PostRead,
    responses=error_responses(
        {**UNAUTHORIZED, 403: posts.NotAuthorized("update").detail, **NOT_FOUND}
    ),
)
async def update_post(
    post_id: uuid.UUID, body: PostUpdate, claims: CurrentClaims, session: DbSession
) -> PostRead:
    """Change only the fields sent; only the author may."""
    post = await posts.update_post(session, post_id, claims, title=body.title, content=body.content)
    return post_read(post)


@router.delete(
    "/api/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(
        {**UNAUTHORIZED, 403: posts.NotAuthorized("delete").detail, **NOT_FOUND}
    ),
)
async def delete_post(post_id: uuid.UUID, claims: CurrentClaims, session: DbSession) -> None:
    """The author, or an admin, may delete a post."""
    await posts.delete_post(session, post_id, claims)
