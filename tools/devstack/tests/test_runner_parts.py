"""The runner's parts, without starting anything: how settings become ports, databases and
each child's environment, the lock, the port check, the table. Fast; no system needed."""

import os
import socket
from pathlib import Path

import httpx
import pytest

from contracts.registry import REGISTRY
from inkwell_devstack import dev
from inkwell_devstack.config import ConfigError, StackConfig, layout
from inkwell_devstack.errors import AlreadyRunning
from inkwell_devstack.lock import RunLock
from inkwell_devstack.pages import page_status
from inkwell_devstack.processes import Child, ports_in_use
from inkwell_devstack.report import Row, format_table
from inkwell_devstack.stack import Supervisor

ROOT = Path("/srv/inkwell")


def dev_config(**env: str) -> StackConfig:
    return StackConfig.from_env(env, profile="dev", root=ROOT)


def test_default_ports_are_the_conventional_ones() -> None:
    config = dev_config()
    assert dict(config.ports) == {
        "gateway": 8000,
        "auth": 8001,
        "content": 8002,
        "preferences": 8003,
        "media": 8004,
        "weather": 8005,
        "weather-stub": 8009,
        "s3": 4566,
        "mongo": 27017,
        "redis": 6390,
        "smtp": 1025,
        "mail": 8025,
        "cognito": 4571,
    }
    assert config.gateway_url == "http://127.0.0.1:8000"
    assert config.mongo_url == "mongodb://127.0.0.1:27017/?directConnection=true"
    assert (config.data_dir, config.run_dir) == (ROOT / ".data/dev", ROOT / ".run/dev")


def test_a_port_base_moves_everything_and_separates_the_folders() -> None:
    config = dev_config(INKWELL_PORT_BASE="9000", INKWELL_AUTH_PORT="9101")
    assert config.ports["gateway"] == 9000
    assert config.ports["auth"] == 9101
    assert (config.ports["s3"], config.ports["mongo"]) == (9010, 9011)
    assert config.run_dir == ROOT / ".run/dev-9000"


def test_a_stack_on_another_port_base_keeps_its_own_databases() -> None:
    default, other = dev_config(), dev_config(INKWELL_PORT_BASE="9000")
    assert default.database_urls["auth"].endswith("/inkwell_auth")
    assert other.database_urls == {
        "auth": "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_dev9000_auth",
        "content": "postgresql+asyncpg://postgres@127.0.0.1:5432/inkwell_dev9000_content",
    }


def test_the_e2e_databases_and_folders_follow_the_port_base_unless_set() -> None:
    env = {"TEST_DATABASE_URL": "postgresql+asyncpg://u@h:1/t", "E2E_PORT_BASE": "23000"}
    config = StackConfig.from_env(env, profile="e2e", root=ROOT)
    assert config.database_urls["content"] == "postgresql+asyncpg://u@h:1/inkwell_e2e23000_content"
    assert config.run_dir == ROOT / ".run/e2e23000"
    named = StackConfig.from_env({**env, "E2E_DATABASE_PREFIX": "mine"}, profile="e2e", root=ROOT)
    assert named.database_urls["content"] == "postgresql+asyncpg://u@h:1/mine_content"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INKWELL_PORT_BASE": "abc"}, "INKWELL_PORT_BASE='abc' is not a port number"),
        ({"INKWELL_MONGO_PORT": "70000"}, "INKWELL_MONGO_PORT='70000' is not a port number"),
        ({"INKWELL_PORT_BASE": "65530"}, "above 65535"),
        ({"INKWELL_S3": "minio"}, "expected moto or localstack"),
    ],
)
def test_unusable_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        dev_config(**env)


def test_database_url_names_the_server_the_databases_live_on() -> None:
    config = dev_config(DATABASE_URL="postgresql://app:s3cret@db.internal:6543/whatever")
    assert config.database_urls == {
        "auth": "postgresql+asyncpg://app:s3cret@db.internal:6543/inkwell_auth",
        "content": "postgresql+asyncpg://app:s3cret@db.internal:6543/inkwell_content",
    }
    assert config.postgres_server.endswith("@db.internal:6543/postgres")
    own = dev_config(CONTENT_DATABASE_URL="postgresql+asyncpg://x@h/posts")
    assert own.database_urls["content"] == "postgresql+asyncpg://x@h/posts"


def test_the_e2e_profile_keeps_to_itself() -> None:
    config = StackConfig.from_env(
        {"TEST_DATABASE_URL": "postgresql+asyncpg://u@h:1/t"}, profile="e2e", root=ROOT
    )
    assert config.ports["gateway"] == 18000
    assert config.database_urls["auth"] == "postgresql+asyncpg://u@h:1/inkwell_e2e_auth"
    assert (config.reset, config.weather_stub) == (True, True)
    assert config.service_env["LOGIN_RATE_LIMIT"] == "off"
    assert config.bucket == "inkwell-e2e-media"


def test_a_second_e2e_run_can_have_databases_of_its_own() -> None:
    env = {"TEST_DATABASE_URL": "postgresql+asyncpg://u@h:1/t", "E2E_DATABASE_PREFIX": "e2e_b"}

    config = StackConfig.from_env(env, profile="e2e", root=ROOT)

    assert config.database_urls == {
        "auth": "postgresql+asyncpg://u@h:1/e2e_b_auth",
        "content": "postgresql+asyncpg://u@h:1/e2e_b_content",
    }
    with pytest.raises(ConfigError, match="E2E_DATABASE_PREFIX"):
        StackConfig.from_env({**env, "E2E_DATABASE_PREFIX": "x; DROP"}, profile="e2e", root=ROOT)


def test_each_service_is_wired_to_the_others() -> None:
    supervisor = Supervisor(dev_config(INKWELL_WEATHER_STUB="1"))
    supervisor.plan()
    gateway = supervisor.children["gateway"].env
    assert gateway["CONTENT_URL"] == "http://127.0.0.1:8002"
    assert gateway["WEATHER_URL"] == "http://127.0.0.1:8005"
    assert supervisor.children["content"].env["DATABASE_URL"].endswith("/inkwell_content")
    assert (
        supervisor.children["preferences"].env["MONGO_URL"].startswith("mongodb://127.0.0.1:27017")
    )
    media = supervisor.children["media"].env
    assert (media["AWS_ENDPOINT_URL_S3"], media["AWS_ACCESS_KEY_ID"]) == (
        "http://127.0.0.1:4566",
        "test",
    )
    weather = supervisor.children["weather"].env
    assert weather["WEATHER_API_URL"] == "http://127.0.0.1:8009"
    assert weather["PREFERENCES_URL"] == "http://127.0.0.1:8003"
    assert all(
        child.env["AUTH_JWKS_URL"] == "http://127.0.0.1:8001/api/auth/jwks.json"
        for name, child in supervisor.children.items()
        if name in {"auth", "content", "preferences", "media", "weather", "gateway"}
    )


def test_served_children_read_no_dot_env_of_their_own() -> None:
    """make dev read the root's .env into its own environment (the children inherit it); the
    e2e suite's stacks must not see a developer's .env at all."""
    supervisor = Supervisor(dev_config())
    supervisor.plan()
    served = [c for c in supervisor.children.values() if "inkwell_runtime.serve" in c.argv]
    assert {c.name for c in served} >= {*REGISTRY.names, "gateway"}
    for child in served:
        at = child.argv.index("--env-file")
        assert child.argv[at + 1] == "", child.name


def test_auth_mails_the_capture_server_and_erases_through_the_services() -> None:
    supervisor = Supervisor(dev_config())
    supervisor.plan()
    auth = supervisor.children["auth"].env
    mail = supervisor.children["mail"]

    assert (auth["EMAIL_BACKEND"], auth["SMTP_HOST"], auth["SMTP_PORT"]) == (
        "smtp",
        "127.0.0.1",
        "1025",
    )
    assert auth["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert (auth["CONTENT_URL"], auth["PREFERENCES_URL"], auth["MEDIA_URL"]) == (
        "http://127.0.0.1:8002",
        "http://127.0.0.1:8003",
        "http://127.0.0.1:8004",
    )
    assert mail.address == "http://127.0.0.1:8025"
    assert mail.argv[2:4] == ["inkwell_devstack.mailcatcher", "--host"]
    assert "--smtp-port" in mail.argv and "1025" in mail.argv


def test_external_stores_replace_the_stand_ins() -> None:
    supervisor = Supervisor(
        dev_config(
            AWS_ENDPOINT_URL_S3="http://s3.local:9000",
            MONGO_URL="mongodb://m.local/",
            WEATHER_API_URL="http://stub.local",
        )
    )
    supervisor.plan()
    assert "s3" not in supervisor.children and "mongo" not in supervisor.children
    assert supervisor.skipped["s3"] == "external: http://s3.local:9000"
    assert supervisor.children["media"].env["AWS_ENDPOINT_URL_S3"] == "http://s3.local:9000"
    assert supervisor.children["preferences"].env["MONGO_URL"] == "mongodb://m.local/"
    assert supervisor.children["weather"].env["WEATHER_API_URL"] == "http://stub.local"


def test_redis_on_request_shares_the_login_limits_and_the_weather_cache() -> None:
    supervisor = Supervisor(dev_config(INKWELL_REDIS="1"))
    supervisor.plan()
    redis = supervisor.children["redis"]
    assert redis.argv[1:] == [
        "--bind", "127.0.0.1", "--port", "6390", "--save", "", "--appendonly", "no"
    ]  # fmt: skip
    for shared in ("gateway", "auth"):  # the login limit per client; failed logins per account
        assert supervisor.children[shared].env["RATE_LIMIT_STORAGE_URL"] == (
            "redis://127.0.0.1:6390/0"
        )
    assert supervisor.children["weather"].env["WEATHER_CACHE_URL"] == "redis://127.0.0.1:6390/0"
    plain = Supervisor(dev_config())
    plain.plan()
    assert "redis" not in plain.children
    assert "RATE_LIMIT_STORAGE_URL" not in plain.children["auth"].env
    assert "WEATHER_CACHE_URL" not in plain.children["weather"].env


def test_an_external_redis_replaces_the_stand_in() -> None:
    config = dev_config(INKWELL_REDIS="1", RATE_LIMIT_STORAGE_URL="redis://cache.local:6379/0")
    supervisor = Supervisor(config)
    supervisor.plan()
    assert config.redis is False and "redis" not in supervisor.children


def test_the_redis_stand_in_starts_answers_and_stops(tmp_path: Path) -> None:
    from inkwell_testing.redis import free_port, ping

    port = free_port()
    config = StackConfig.from_env(
        {"INKWELL_REDIS_PORT": str(port), "INKWELL_RUN_DIR": str(tmp_path / "run")},
        profile="dev",
        redis=True,
        root=tmp_path,
    )
    supervisor = Supervisor(config, out=lambda _line: None)
    supervisor.plan()
    try:
        supervisor.start("redis")
        supervisor.wait_ready(["redis"])
        assert ping("127.0.0.1", port)
        assert (
            Row("redis", f"redis://127.0.0.1:{port}/0", f"up ({supervisor.children['redis'].what})")
            in supervisor.table()
        )
    finally:
        supervisor.down()
    assert not ping("127.0.0.1", port)


def test_a_second_lock_names_the_first_holder(tmp_path: Path) -> None:
    path = tmp_path / "stack.lock"
    first = RunLock.acquire(path, {"pid": 4242, "gateway": "http://127.0.0.1:8000"})
    with pytest.raises(
        AlreadyRunning, match=r"already running .*pid 4242, gateway http://127.0.0.1:8000"
    ):
        RunLock.acquire(path, {"pid": os.getpid()})
    first.release()
    RunLock.acquire(path, {"pid": os.getpid()}).release()


def test_a_listening_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        child = Child("auth", [], {}, "", "", lambda _: True, port, tmp_path / "auth.log")
        assert ports_in_use([child], "127.0.0.1") == [child]
    assert ports_in_use([child], "127.0.0.1") == []


def test_the_table_lines_up() -> None:
    table = format_table(
        [Row("docs", "http://127.0.0.1:8000/docs", "ok"), Row("gateway", "http://x", "ready")]
    )
    assert table.splitlines() == [
        "  NAME     URL                         STATUS",
        "  docs     http://127.0.0.1:8000/docs  ok",
        "  gateway  http://x                    ready",
    ]


def test_a_bad_setting_stops_make_dev_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INKWELL_PORT_BASE", "eight thousand")
    assert dev.main([]) == 2
    assert (
        capsys.readouterr().err
        == "inkwell dev: INKWELL_PORT_BASE='eight thousand' is not a port number\n"
    )


def test_layout_offsets_leave_room_for_everything() -> None:
    ports = layout(20000)
    assert len(set(ports.values())) == len(ports)


def _site(pages: dict[str, str]) -> httpx.Client:
    """A client over a fake site: ``pages`` maps a path to its body; anything else is 404."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = pages.get(request.url.path)
        return httpx.Response(404) if body is None else httpx.Response(200, text=body)

    return httpx.Client(transport=httpx.MockTransport(answer))


DOCS_PAGE = (
    '<html><head><link type="text/css" rel="stylesheet" href="{css}"></head>'
    '<body><div id="ui"></div><script src="{js}"></script></body></html>'
)


def test_a_page_is_ok_when_it_and_its_assets_load_from_its_own_host() -> None:
    site = _site(
        {
            "/docs": DOCS_PAGE.format(css="/assets/ui.css", js="assets/ui.js"),
            "/assets/ui.css": "",
            "/assets/ui.js": "",
        }
    )
    assert page_status(site, "http://gw/docs") == "ok (2 assets)"


def test_a_page_whose_assets_come_from_a_cdn_is_not_ok_offline() -> None:
    cdn = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
    site = _site({"/docs": DOCS_PAGE.format(css="/ui.css", js=cdn), "/ui.css": ""})
    assert page_status(site, "http://gw/docs") == f"needs the internet ({cdn})"


def test_a_page_with_a_missing_asset_says_which() -> None:
    site = _site({"/": DOCS_PAGE.format(css="/app.css", js="/app.js"), "/app.css": ""})
    assert page_status(site, "http://gw/") == "asset missing (404: http://gw/app.js)"
    assert page_status(site, "http://gw/nothing") == "not ready (404)"


def test_the_gateway_trusts_x_forwarded_for_only_from_configured_proxies() -> None:
    from inkwell_devstack.stack import proxy_header_args

    assert proxy_header_args("gateway", {}) == ["--no-proxy-headers"]
    assert proxy_header_args("gateway", {"FORWARDED_ALLOW_IPS": "10.0.0.5"}) == [
        "--forwarded-allow-ips",
        "10.0.0.5",
    ]
    assert proxy_header_args("auth", {}) == []


def test_cognito_on_request_adds_moto_as_the_pool() -> None:
    supervisor = Supervisor(dev_config(INKWELL_COGNITO="1"))
    supervisor.plan()
    cognito = supervisor.children["cognito"]
    assert cognito.argv[1:] == ["-m", "moto.server", "-H", "127.0.0.1", "-p", "4571"]
    assert dev.parse_args(["--cognito"]).cognito is True
    plain = Supervisor(dev_config())
    plain.plan()
    assert "cognito" not in plain.children
    assert StackConfig.from_env({"E2E_COGNITO": "1"}, profile="e2e", root=ROOT).cognito


@pytest.mark.anyio
async def test_the_pool_created_at_start_issues_tokens_every_service_verifies() -> None:
    """The pool on a real moto server; each child's environment, read as its settings, verifies
    the access token of a user of that pool."""
    import boto3

    from inkwell_devstack.cognito import REGION, create_pool
    from inkwell_runtime.jwks import RemoteJWKS
    from inkwell_runtime.jwt import CognitoTokenVerifier
    from inkwell_runtime.settings import ServiceSettings
    from inkwell_testing.moto import moto_server

    with moto_server() as endpoint:
        supervisor = Supervisor(dev_config(INKWELL_COGNITO="1"))
        supervisor.plan()
        pool = create_pool(endpoint)
        supervisor._use_cognito(pool)
        idp = boto3.client(
            "cognito-idp",
            region_name=REGION,
            endpoint_url=pool.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        idp.sign_up(ClientId=pool.client_id, Username="dora", Password="a long passphrase")
        idp.admin_confirm_sign_up(UserPoolId=pool.pool_id, Username="dora")
        token = idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "dora", "PASSWORD": "a long passphrase"},
        )["AuthenticationResult"]["AccessToken"]
        auth_env = supervisor.children["auth"].env
        assert auth_env["COGNITO_ENDPOINT_URL"] == pool.endpoint
        assert auth_env["COGNITO_REVOKE_TOKENS"] == "false"
        for name in ("content", "preferences", "media", "weather"):
            env = supervisor.children[name].env
            assert "COGNITO_ENDPOINT_URL" not in env  # only auth calls Cognito's API
            settings = ServiceSettings(
                **{k.lower(): v for k, v in env.items() if k.startswith(("AUTH_P", "COGNITO_"))}
            )
            async with httpx.AsyncClient() as client:
                verifier = CognitoTokenVerifier(
                    RemoteJWKS(settings.cognito_keys_url, client),
                    issuer=settings.cognito_token_issuer,
                    audience=str(settings.cognito_client_id),
                )
                assert (await verifier.verify(token)).username == "dora"


def test_compose_cognito_ids_are_the_ones_moto_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """deploy/cognito.env names the pool's ids before moto makes them (its HASH strategy, set on
    compose's `cognito`): the same code, the same ids, or `cognito-setup` fails the start."""
    from dotenv import dotenv_values

    from inkwell_devstack.cognito import main
    from inkwell_testing.moto import moto_server

    repo = Path(__file__).resolve().parents[3]
    env = dotenv_values(repo / "deploy" / "cognito.env")
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH")
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY", "HASH")
    with moto_server() as endpoint:
        args = ["--endpoint", endpoint]
        expected = [
            "--expect-pool-id",
            str(env["COGNITO_USER_POOL_ID"]),
            "--expect-client-id",
            str(env["COGNITO_CLIENT_ID"]),
        ]
        assert main([*args, *expected]) == 0
        assert main([*args, "--expect-pool-id", "us-east-1_other"]) == 1
    assert str(env["INKWELL_COGNITO_JWKS_URL"]).endswith(
        f"/{env['COGNITO_USER_POOL_ID']}/.well-known/jwks.json"
    )
