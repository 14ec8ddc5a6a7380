"""The FastAPI application: `/v1` endpoints over the published snapshot, keys and scopes.

Every data endpoint needs an API key (header ``X-API-Key``, or ``Authorization: Bearer``)
holding the endpoint's scope: no key is a 401, a key without the scope a 403. Each answer
carries the ``run_id`` and ``as_of`` of the snapshot it was read from. The access log names
the route template, the status and the customer ids answered, never query strings (they
hold e-mails and phones); uvicorn's own access log is off for that reason.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at
# run time, and they name functions local to create_app.
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from api import customers as queries
from api.keys import ApiKey, find_key, load_keys
from api.snapshots import SnapshotPool, SnapshotUnavailableError, View

if TYPE_CHECKING:
    from core.settings import Settings

access_log = logging.getLogger("cdp.api.access")
IDENTIFIER_KINDS = ("email", "phone", "loyalty_card", "web_account", "cookie")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


class IdentifyRequest(BaseModel):
    """Identifying attributes of one person, as any system knows them."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = Field(None, description="YYYY-MM-DD")
    postcode: str | None = None
    city: str | None = None
    address_line: str | None = None
    loyalty_card: str | None = None
    web_account: str | None = None
    record: bool = Field(
        False, description="queue the contact so the next resolve takes it in (a touchpoint)"
    )
    channel: Literal["phone", "chat", "email"] = "phone"


def _json(content: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(content), status_code=status_code)


def _stored(text: str) -> Response:
    """An answer the serving copy holds as JSON already: sent as is, nothing re-encoded."""
    return Response(text, media_type="application/json")


class AccessLog:
    """One line per request: route template, status, duration, key name, customer ids.

    Plain ASGI, not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` streams
    every response through an extra task and queue, a large share of a point lookup."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state = scope.get("state") or {}
            access_log.info(
                "%s %s %d %.1fms key=%s customers=%s",
                scope["method"],
                getattr(scope.get("route"), "path", "-"),
                status,
                (time.perf_counter() - started) * 1000,
                state.get("key_name", "-"),
                ",".join(state.get("customer_ids", [])) or "-",
            )


def create_app(settings: "Settings") -> FastAPI:
    """The API (and the console, when its package is present) over ``settings``' snapshot."""
    pool = SnapshotPool(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import anyio

        # the serving copy is built before the first request, not during it
        await anyio.to_thread.run_sync(pool.warm)
        yield
        pool.close()

    app = FastAPI(
        lifespan=lifespan,
        title="cdp-rcu profile and identity API",
        version="1",
        description="Golden records, profiles, timelines, segments and real-time identify, "
        "read from the snapshot the pipeline publishes after each profiles run.",
    )
    app.state.settings = settings
    app.state.pool = pool

    # the dependencies are async: cheap checks run on the event loop, not each in a thread
    async def presented_key(
        request: Request, header: Annotated[str | None, Depends(_api_key_header)]
    ) -> ApiKey:
        given = header
        authorization = request.headers.get("authorization", "")
        if not given and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not given:
            signed_in = request.app.state.session_principal(request)  # the console's sign-in
            if signed_in is not None:
                request.state.key_name = signed_in.name
                return signed_in
            raise HTTPException(401, "an API key is required (header X-API-Key)")
        key = find_key(load_keys(settings.api_keys_path), given)
        if key is None:
            raise HTTPException(401, "unknown API key")
        request.state.key_name = key.name
        return key

    def scope(name: str):
        async def check(key: Annotated[ApiKey, Depends(presented_key)]) -> ApiKey:
            if not key.allows(name):
                raise HTTPException(403, f"key {key.name!r} lacks the scope {name!r}")
            return key

        return check

    async def view():
        try:
            with pool.view() as current:
                yield current
        except SnapshotUnavailableError as error:
            raise HTTPException(503, str(error)) from error

    app.state.scope = scope
    app.state.view = view
    read = [Depends(scope("profiles:read"))]

    app.add_middleware(AccessLog)

    @app.get("/v1/health", tags=["meta"])
    def health(current: Annotated[View, Depends(view)]) -> dict[str, str]:
        """Which run the API serves (no key needed; holds no personal data)."""
        return current.run

    @app.get("/v1/customers/{customer_id}", dependencies=read, tags=["customers"])
    def get_customer(customer_id: str, request: Request, current: Annotated[View, Depends(view)]):
        """Golden record with sources and dates, RFM, value, segment and consent per channel.

        A retired id answers 308 to the surviving id."""
        try:
            answer = queries.customer_json(current, customer_id)
        except queries.CustomerMoved as moved:
            request.state.customer_ids = [customer_id, moved.customer_id]
            return RedirectResponse(f"/v1/customers/{moved.customer_id}", status_code=308)
        except queries.CustomerNotFound as error:
            raise HTTPException(404, f"no customer {customer_id}") from error
        request.state.customer_ids = [customer_id]
        return _stored(answer)

    @app.get("/v1/customers", dependencies=read, tags=["customers"])
    def find_customers(
        request: Request,
        current: Annotated[View, Depends(view)],
        email: str | None = None,
        phone: str | None = None,
        loyalty_card: str | None = None,
        web_account: str | None = None,
        cookie: str | None = None,
    ):
        """Customers holding an identifier, standardised as the pipeline does."""
        given = {
            k: v
            for k, v in {
                "email": email,
                "phone": phone,
                "loyalty_card": loyalty_card,
                "web_account": web_account,
                "cookie": cookie,
            }.items()
            if v
        }
        if len(given) != 1:
            raise HTTPException(400, f"give exactly one of {', '.join(IDENTIFIER_KINDS)}")
        from identity._realtime_input import cached_config

        ((kind, value),) = given.items()
        config = cached_config(settings.identity_config_path)
        ids = queries.find_customers(current, kind, value, config)
        request.state.customer_ids = ids
        if not ids:
            raise HTTPException(404, f"no customer with that {kind}")
        return _stored(json.dumps({"customer_ids": ids, **current.run}))

    @app.get("/v1/customers/{customer_id}/timeline", dependencies=read, tags=["customers"])
    def get_timeline(
        customer_id: str,
        request: Request,
        current: Annotated[View, Depends(view)],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        before: str | None = None,
    ):
        """Touchpoints newest first; pass the answer's ``next`` as ``before`` for more."""
        try:
            answer = queries.timeline_json(current, customer_id, limit, before)
        except queries.CustomerMoved as moved:
            request.state.customer_ids = [customer_id, moved.customer_id]
            target = f"/v1/customers/{moved.customer_id}/timeline?limit={limit}"
            return RedirectResponse(target, status_code=308)
        except queries.CustomerNotFound as error:
            raise HTTPException(404, f"no customer {customer_id}") from error
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        request.state.customer_ids = [customer_id]
        return _stored(answer)

    @app.get("/v1/segments/{segment}/members", dependencies=read, tags=["segments"])
    def get_segment_members(
        segment: str,
        current: Annotated[View, Depends(view)],
        channel: Literal["email", "sms"] = "email",
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        after: str | None = None,
    ):
        """Customer ids of the segment a send on ``channel`` is allowed to (consent in force,
        contact point known and not bounced)."""
        try:
            return _json(queries.segment_members(current, segment, channel, limit, after))
        except ValueError as error:
            raise HTTPException(400, str(error)) from error

    @app.post("/v1/identify", dependencies=[Depends(scope("identify"))], tags=["identity"])
    def identify(body: IdentifyRequest, request: Request, current: Annotated[View, Depends(view)]):
        """Score the attributes against the RCU with the saved model: a customer or ``new``."""
        from api.identify import identify_person

        answer = identify_person(settings, current, body)
        if answer.get("customer_id"):
            request.state.customer_ids = [answer["customer_id"]]
        return _json(answer)

    from api.console import mount_console

    mount_console(app, settings)
    return app
