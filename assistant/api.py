"""A stateless JSON endpoint beside the chat app: `POST /api/ask`.

One request in, the answer out, in the shape `newsdesk ask --json` prints (`render.answer_dict`).
The client sends the conversation so far (`history`), so the server keeps nothing between
requests and any replica can answer any request (the chat page can too, with
`app_protocol = "direct"`: docs/scaling.md).

Request body (JSON object):
    question  text, required
    mode      "ask" (default), "who", "compare" or "summarize"
    outlets   list of outlet names (hard filter), optional
    since, until   YYYY-MM-DD, optional
    history   earlier turns, oldest first: [[question, answer text], ...], optional

A bad body gets HTTP 400 with {"error": message naming the field}. When the app has sign-in
credentials (any address other than loopback), the endpoint takes the same user and password as
HTTP Basic authentication.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from datetime import date
from typing import Any, Callable, Sequence

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .errors import FilterError, RequestError, NewsdeskError
from .facade import MODES, Assistant
from .records import Filters
from .render import answer_dict

log = logging.getLogger(__name__)

ASK_PATH = "/api/ask"
MAX_HISTORY_TURNS = 50
FIELDS = frozenset({"question", "mode", "outlets", "since", "until", "history"})


def ask_from_body(assistant: Assistant, body: Any) -> dict:
    """Answer the request `body` (parsed JSON); RequestError names the field that is wrong."""
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object, for example {\"question\": \"Who denied it?\"}.")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        # A misspelt filter ("outlet") silently ignored would answer from everything.
        raise RequestError(f"Unknown field '{unknown[0]}'; the fields are: {', '.join(sorted(FIELDS))}.")
    question = _text(body, "question", required=True)
    mode = _text(body, "mode") or "ask"
    if mode not in MODES:
        raise RequestError(f"'mode' must be one of: {', '.join(MODES)} (got {mode!r}).")
    filters = Filters(outlets=_outlets(body), since=_day(body, "since"), until=_day(body, "until"))
    if filters.since and filters.until and filters.since > filters.until:
        raise RequestError(f"The date range is empty: 'since' ({filters.since}) is after 'until' ({filters.until}).")
    answer = assistant.ask(question, mode=mode, filters=filters, history=_history(body))
    return answer_dict(answer)


def _text(body: dict, field: str, required: bool = False) -> str:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RequestError(f"'{field}' is missing: send the question as text.")
        return ""
    if not isinstance(value, str):
        raise RequestError(f"'{field}' must be text (got {type(value).__name__}).")
    return value.strip()


def _outlets(body: dict) -> tuple[str, ...]:
    value = body.get("outlets") or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise RequestError("'outlets' must be a list of outlet names.")
    return tuple(o.strip() for o in value if o.strip())


def _day(body: dict, field: str) -> str | None:
    text = _text(body, field)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise RequestError(f"'{field}' ({text!r}) is not a date; use YYYY-MM-DD, for example 2024-03-12.") from None


def _history(body: dict) -> tuple[tuple[str, str], ...]:
    value = body.get("history") or []
    turns = []
    if not isinstance(value, list):
        raise RequestError("'history' must be a list of [question, answer] pairs, oldest first.")
    for number, turn in enumerate(value, start=1):
        if not (isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
            raise RequestError(f"'history' turn {number} must be a pair of texts: [question, answer].")
        turns.append((turn[0], turn[1]))
    return tuple(turns[-MAX_HISTORY_TURNS:])


def authorised(header: str | None, credentials: Sequence[tuple[str, str]]) -> bool:
    """Whether an HTTP Basic `Authorization` header carries one of `credentials` (or none are set)."""
    return not credentials or signed_in_user(header, credentials) is not None


def signed_in_user(header: str | None, credentials: Sequence[tuple[str, str]]) -> str | None:
    """The user whose name and password an HTTP Basic `Authorization` header carries, if any."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    matches = [hmac.compare_digest(user.encode(), u.encode()) and hmac.compare_digest(password.encode(), p.encode())
               for u, p in credentials]
    return user if any(matches) else None


SIGN_IN_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Newsdesk", charset="UTF-8"'}


def basic_auth_user(credentials: Sequence[tuple[str, str]]) -> Callable[[Request], str]:
    """Gradio's `auth_dependency` for HTTP Basic sign-in: checked on every request, so no replica
    keeps a login session (Gradio's own login form keeps its tokens in the serving process)."""
    def user_of(request: Request) -> str:
        user = signed_in_user(request.headers.get("authorization"), credentials)
        if user is None:  # the challenge makes the browser ask for the user name and password
            raise HTTPException(status_code=401, detail="Sign in with the credentials set in NEWSDESK_AUTH.",
                                headers=SIGN_IN_CHALLENGE)
        return user
    return user_of


def add_json_api(app: Any, assistant: Assistant, credentials: Sequence[tuple[str, str]] = ()) -> None:
    """Add `POST /api/ask` to the running app's FastAPI application."""
    def ask(request_body: Any, request: Request) -> JSONResponse:
        if not authorised(request.headers.get("authorization"), credentials):
            return JSONResponse({"error": "Sign in with the credentials set in NEWSDESK_AUTH (HTTP Basic)."},
                                status_code=401, headers=SIGN_IN_CHALLENGE)
        try:
            return JSONResponse(ask_from_body(assistant, request_body))
        except (RequestError, FilterError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except NewsdeskError as error:  # the index or model: the same messages the chat shows
            log.warning("api: %s", error)
            return JSONResponse({"error": str(error)}, status_code=503)

    async def read_json(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "The request body is not valid JSON."}, status_code=400)
        return await run_in_threadpool(ask, body, request)  # answering blocks: not on the event loop

    app.add_api_route(ASK_PATH, read_json, methods=["POST"])
    # Routes match in order: put ours before anything Gradio registered that could shadow it.
    app.router.routes.insert(0, app.router.routes.pop())


__all__ = ["ASK_PATH", "add_json_api", "ask_from_body", "authorised"]
