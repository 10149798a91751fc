"""The Cognito stand-in's user pool (``make dev --cognito``, ``E2E_COGNITO=1``): moto's server,
a pool and an app client created at start, and the settings that point every service at them."""

from dataclasses import dataclass

REGION = "us-east-1"
ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Pool:
    endpoint: str
    pool_id: str
    client_id: str

    @property
    def jwks_url(self) -> str:
        """moto serves the pool's keys where Cognito does, under its own address."""
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def service_env(self) -> dict[str, str]:
        """What every service reads to verify the pool's access tokens."""
        return {
            "AUTH_PROVIDER": "cognito",
            "COGNITO_REGION": REGION,
            "COGNITO_USER_POOL_ID": self.pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
            "COGNITO_JWKS_URL": self.jwks_url,
        }

    def auth_env(self) -> dict[str, str]:
        """What auth adds: where the Cognito API is, dummy credentials for moto, and no
        ``RevokeToken`` (moto 5.2.5 does not implement it)."""
        return {
            **self.service_env(),
            "COGNITO_ENDPOINT_URL": self.endpoint,
            "COGNITO_REVOKE_TOKENS": "false",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }


def create_pool(endpoint: str, name: str = "inkwell-dev") -> Pool:
    """A user pool whose password policy leaves Inkwell's the one that decides (8 characters,
    no character classes), an app client without a secret allowing USER_PASSWORD_AUTH and
    REFRESH_TOKEN_AUTH, and the ``admin`` group (``BOOTSTRAP_ADMIN_EMAILS`` join it)."""
    import boto3  # imported late: `make dev` answers fast when it cannot start

    idp = boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    policy = {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    pool_id = idp.create_user_pool(PoolName=name, Policies={"PasswordPolicy": policy})["UserPool"][
        "Id"
    ]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="inkwell",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName=ADMIN_GROUP)
    return Pool(endpoint, pool_id, client_id)


def main(argv: list[str] | None = None) -> int:
    """``python -m inkwell_devstack.cognito --endpoint URL``: create the pool (compose's
    ``cognito-setup``); with ``--expect-pool-id`` / ``--expect-client-id``, fail unless moto made
    exactly those (moto's ``HASH`` id strategy: deploy/cognito.env names them in advance)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m inkwell_devstack.cognito")
    parser.add_argument("--endpoint", required=True, help="moto's server, e.g. http://cognito:5000")
    parser.add_argument("--expect-pool-id")
    parser.add_argument("--expect-client-id")
    args = parser.parse_args(argv)
    pool = create_pool(args.endpoint)
    print(f"cognito user pool {pool.pool_id}, app client {pool.client_id}", flush=True)
    expected = (args.expect_pool_id or pool.pool_id, args.expect_client_id or pool.client_id)
    if (pool.pool_id, pool.client_id) != expected:
        print(f"expected pool {expected[0]}, app client {expected[1]}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
