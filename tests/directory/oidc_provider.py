"""A small OpenID Connect provider for the directory tests, run as its own process on loopback.

Authlib's authorization server (authorization-code grant with OpenID Connect) on Flask, with the
client, the users and the codes in memory and a fresh RSA key. Started by ``servers.py``::

    python tests/directory/oidc_provider.py --port P --config config.json
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, jsonify, request
from joserfc.jwk import RSAKey

KEY = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email", "groups"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


CODES: dict[str, Code] = {}


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, req: Any) -> None:
        CODES[code] = Code(
            code=code,
            client_id=req.client.get_client_id(),
            redirect_uri=req.payload.redirect_uri,
            scope=req.scope,
            user=req.user,
            nonce=req.payload.data.get("nonce"),
            auth_time=int(time.time()),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = CODES.get(code)
        return found if found is not None and found.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
        return authorization_code.user


def build(config: dict[str, Any]) -> Flask:
    issuer: str = config["issuer"]
    client = Client(config["client_id"], config["client_secret"], config["redirect_uri"])
    users: dict[str, dict[str, Any]] = config["users"]

    class Connect(OpenIDCode):  # type: ignore[misc]
        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in CODES.values())

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return KEY

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": issuer, "aud": [client.get_client_id()], "exp": int(time.time()) + 300}

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": "test-key"}

        def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
            return UserInfo(
                sub=user["sub"],
                preferred_username=user["username"],
                name=user.get("name", ""),
                email=user.get("email", ""),
                groups=user.get("groups", []),
            )

    app = Flask(__name__)
    server = AuthorizationServer(
        app,
        query_client=lambda client_id: client if client_id == client.client_id else None,
        save_token=lambda token, req: None,
    )
    server.register_grant(CodeGrant, [Connect(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            jwks_uri=f"{issuer}/jwks",
            end_session_endpoint=f"{issuer}/logout",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        )

    @app.get("/jwks")
    def jwks() -> Response:
        return jsonify(keys=[KEY.as_dict(private=False)])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.method == "GET":
            return (
                '<form method="post"><input name="username"><input name="password" type="password">'
                "<button>登录</button></form>"
            )
        user = users.get(request.form.get("username", ""))
        if user is None or not secrets.compare_digest(user["password"], request.form.get("password", "")):
            return Response("wrong credentials", status=401)
        return server.create_authorization_response(grant_user=user)

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.get("/logout")
    def logout() -> str:
        return "signed out"

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    build(config).run(host="127.0.0.1", port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
