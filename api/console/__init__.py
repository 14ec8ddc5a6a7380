"""The stewards' and analysts' console: server-rendered pages under /console.

Jinja2 templates and a shipped htmx (``static/``, no CDN): every page works without
JavaScript; htmx only saves reloads. Sign-in is a local user (name and password) or an API
key; either gets a signed, HttpOnly, SameSite=Strict session cookie (:mod:`api.console.auth`);
every form carries a CSRF token matched against its own cookie (double submit).
Read-only pages need ``profiles:read``; decisions need ``admin`` and are written with
identity's own ``record_decision``, exactly as ``cdp identity decide`` writes them: the
next resolve applies them.
"""

# No `from __future__ import annotations`: FastAPI reads route annotations at run time.
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api import customers as queries
from api.console import charts, datadocs, pages
from api.console.auth import SESSION_SECONDS, LocalUser, Sessions, authenticate
from api.keys import ApiKey
from api.snapshots import SnapshotUnavailableError

HERE = Path(__file__).parent
SESSION_COOKIE, CSRF_COOKIE = "cdp_session", "cdp_csrf"
SIGN_IN_FAILED = "Sign-in failed: unknown user or key, or wrong password."


class LoginRequired(Exception):
    """No valid session in the console's cookie."""


def mount_console(app: FastAPI, settings) -> None:
    """Add the console's routes and static files to ``app``."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["waterfall"] = charts.waterfall
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    pool = app.state.pool
    sessions = Sessions(settings.console_users_path, settings.api_keys_path)
    # the API's endpoints accept the console's session too (app.presented_key)
    app.state.session_principal = lambda request: sessions.principal(
        request.cookies.get(SESSION_COOKIE)
    )

    def key_for(request: Request, scope: str) -> LocalUser | ApiKey:
        principal = sessions.principal(request.cookies.get(SESSION_COOKIE))
        if principal is None:
            raise LoginRequired()
        request.state.key_name = principal.name
        if not principal.allows(scope):
            raise HTTPException(403, f"{principal.name!r} lacks the scope {scope!r}")
        return principal

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
        secret: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        username: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/console/",
    ):
        check_csrf(request, csrf)
        principal = authenticate(
            settings.console_users_path, settings.api_keys_path, username, secret
        )
        if principal is None:
            # one message whichever part was wrong: it tells a guesser nothing
            return render(request, "login.html", 401, next=next, error=SIGN_IN_FAILED)
        target = next if next.startswith("/console/") else "/console/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            sessions.issue(principal),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    @app.post("/console/logout", include_in_schema=False)
    def logout(request: Request, csrf: Annotated[str, Form()]):
        check_csrf(request, csrf)
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
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
            data = with_view(lambda v: pages.customer_360(v, customer_id, settings))
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

    @app.get("/console/review/pair", response_class=HTMLResponse, include_in_schema=False)
    def review_pair_page(request: Request, left: str, right: str):
        key = key_for(request, "profiles:read")
        data, run = with_view(lambda v: (pages.review_pair(v, settings, left, right), v.run))
        if data is None:
            return render(request, "message.html", 404, message=f"No pair {left} / {right}.")
        return render(request, "pair.html", p=data, run=run, can_decide=key.allows("admin"))

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
        return render(
            request,
            "quality.html",
            results=results,
            run=run,
            has_report=report.exists(),
            has_docs=datadocs.page_path(settings.reports_dir, "index.html") is not None,
        )

    @app.get("/console/quality/docs/{path:path}", include_in_schema=False)
    def data_docs(request: Request, path: str = ""):
        key_for(request, "profiles:read")
        found = datadocs.page_path(settings.reports_dir, path or "index.html")
        if found is None:
            return render(
                request,
                "message.html",
                404,
                message=f"No Data Docs page {path or 'index.html'}: run `cdp quality check`.",
            )
        if found.suffix == ".html":
            return HTMLResponse(datadocs.offline(found.read_text(encoding="utf-8")))
        return FileResponse(found)

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
