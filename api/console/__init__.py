"""The stewards' and analysts' console: server-rendered pages under /console.

Jinja2 templates and a shipped htmx (``static/``, no CDN): every page works without
JavaScript; htmx only saves reloads. Login is an API key kept in an HttpOnly, SameSite=Strict
cookie; every form carries a CSRF token matched against its own cookie (double submit).
Read-only pages need ``profiles:read``; decisions need ``admin`` and are written with
identity's own ``record_decision``, exactly as ``cdp identity decide`` writes them: the
next resolve applies them.
"""

# No `from __future__ import annotations`: FastAPI reads route annotations at run time.
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api import customers as queries
from api.console import charts, pages
from api.keys import ApiKey, find_key, load_keys
from api.snapshots import SnapshotUnavailableError

HERE = Path(__file__).parent
KEY_COOKIE, CSRF_COOKIE = "cdp_key", "cdp_csrf"


class LoginRequired(Exception):
    """No (valid) key in the console's cookie."""


def mount_console(app: FastAPI, settings) -> None:
    """Add the console's routes and static files to ``app``."""
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    pool = app.state.pool

    def key_for(request: Request, scope: str) -> ApiKey:
        given = request.cookies.get(KEY_COOKIE)
        key = find_key(load_keys(settings.api_keys_path), given) if given else None
        if key is None:
            raise LoginRequired()
        if not key.allows(scope):
            raise HTTPException(403, f"key {key.name!r} lacks the scope {scope!r}")
        request.state.key_name = key.name
        return key

    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            name,
            {"csrf": request.cookies.get(CSRF_COOKIE, ""), **context},
            status_code=status_code,
        )

    def check_csrf(request: Request, token: str) -> None:
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, token):
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and retry")

    @app.exception_handler(LoginRequired)
    def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/console/login?next={request.url.path}", status_code=303)

    @app.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/console/"):
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = templates.TemplateResponse(request, "login.html", {"csrf": token, "next": next})
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.post("/console/login", include_in_schema=False)
    def login(
        request: Request,
        key: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/console/",
    ):
        check_csrf(request, csrf)
        if find_key(load_keys(settings.api_keys_path), key.strip()) is None:
            return render(request, "login.html", status_code=401, next=next, error="Unknown key")
        target = next if next.startswith("/console/") else "/console/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(KEY_COOKIE, key.strip(), httponly=True, samesite="strict")
        return response

    def with_view(function):
        try:
            with pool.view() as view:
                return function(view)
        except SnapshotUnavailableError as error:
            raise HTTPException(503, str(error)) from error

    @app.get("/console/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, q: str = ""):
        key_for(request, "profiles:read")
        found = with_view(lambda v: (pages.search(v, settings, q) if q else [], v.run))
        template = "results.html" if request.headers.get("hx-request") else "search.html"
        return render(request, template, q=q, results=found[0], run=found[1])

    @app.get(
        "/console/customers/{customer_id}", response_class=HTMLResponse, include_in_schema=False
    )
    def customer_page(request: Request, customer_id: str):
        key_for(request, "profiles:read")
        try:
            data = with_view(lambda v: pages.customer_360(v, customer_id))
        except queries.CustomerMoved as moved:
            return RedirectResponse(f"/console/customers/{moved.customer_id}", status_code=303)
        except queries.CustomerNotFound:
            return render(request, "message.html", 404, message=f"No customer {customer_id}.")
        request.state.customer_ids = [customer_id]
        return render(request, "customer.html", c=data)

    @app.get("/console/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page(request: Request):
        key = key_for(request, "profiles:read")
        queue, run = with_view(lambda v: (pages.review_queue(v), v.run))
        return render(request, "review.html", queue=queue, run=run, can_decide=key.allows("admin"))

    @app.post("/console/review/decide", response_class=HTMLResponse, include_in_schema=False)
    def decide(
        request: Request,
        record_id_l: Annotated[str, Form()],
        record_id_r: Annotated[str, Form()],
        decision: Annotated[str, Form()],
        reason: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
    ):
        key = key_for(request, "admin")
        check_csrf(request, csrf)
        result = record(settings, decision, record_id_l, record_id_r, key.name, reason)
        template = "decided.html" if request.headers.get("hx-request") else "message.html"
        return render(request, template, 200 if result["ok"] else 409, **result)

    @app.get("/console/health", response_class=HTMLResponse, include_in_schema=False)
    def health_page(request: Request):
        key_for(request, "profiles:read")
        data, run = with_view(lambda v: (pages.identity_health(v, settings), v.run))
        weights = charts.bars(
            [
                (f"{w['comparison']}: {w['level']}", w["weight"])
                for w in data["weights"]
                if w["weight"] is not None
            ]
        )
        sizes = charts.bars([(f"{s['size']} record(s)", s["customers"]) for s in data["sizes"]])
        return render(request, "health.html", h=data, run=run, weights=weights, sizes=sizes)

    @app.get("/console/quality", response_class=HTMLResponse, include_in_schema=False)
    def quality_page(request: Request):
        key_for(request, "profiles:read")
        results, run = with_view(lambda v: (pages.quality(v), v.run))
        report = settings.reports_dir / "quality" / "index.html"
        return render(request, "quality.html", results=results, run=run, has_report=report.exists())

    @app.get("/console/quality/report", response_class=HTMLResponse, include_in_schema=False)
    def quality_report(request: Request):
        key_for(request, "profiles:read")
        report = settings.reports_dir / "quality" / "index.html"
        if not report.exists():
            raise HTTPException(404, "no quality report yet: run `cdp quality check`")
        return HTMLResponse(report.read_text(encoding="utf-8"))


def record(settings, decision: str, left: str, right: str, by: str, reason: str) -> dict:
    """Write one steward's decision into the warehouse, as `cdp identity decide` does."""
    import duckdb

    from core.warehouse import connect
    from identity._decisions import DecisionError, record_decision

    try:
        with connect(settings) as con:
            made = record_decision(con, decision, left, right, by, reason, origin="console")
    except DecisionError as error:
        return {"ok": False, "message": str(error)}
    except duckdb.IOException as error:  # the pipeline holds the writer's lock
        return {"ok": False, "message": f"The warehouse is busy (a pipeline run): {error}"}
    return {
        "ok": True,
        "message": f"{made['decision']} recorded as {made['decision_id']} by {by}; "
        "the next `cdp identity resolve` applies it.",
        "decision": made,
    }
