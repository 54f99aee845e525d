"""Reference service: FastAPI on uvicorn with GET /health, GET /json and GET /db, no tracing."""

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse

BODY = {"message": "hello", "ok": True, "items": [1, 2, 3]}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # No DATABASE_URL: start without touching a database (startup is measured without one); /db answers 503.
    url = os.environ.get("DATABASE_URL")
    size = int(os.environ.get("DB_POOL_SIZE") or 8)
    app.state.pool = await asyncpg.create_pool(url, min_size=size, max_size=size) if url else None
    yield
    if app.state.pool is not None:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/health", response_class=PlainTextResponse)
async def health() -> str:
    return "ok"


@app.get("/json")
async def json_body() -> dict[str, object]:
    return BODY


@app.get("/db", response_model=None)
async def db() -> dict[str, int] | Response:
    if app.state.pool is None:
        return PlainTextResponse("no database configured", status_code=503)
    row = await app.state.pool.fetchrow("SELECT id, randomnumber FROM world WHERE id = $1", random.randint(1, 10000))
    return {"id": row["id"], "randomNumber": row["randomnumber"]}
