"""Reference service: FastAPI on uvicorn, traced by its built-in OpenTelemetry, exported as OTLP/HTTP protobuf."""

# FastAPI traces every request by itself once a tracer provider exists; `auto_configure` makes that provider
# from the OTEL_* environment (OTLP/HTTP protobuf exporter, batch span processor reading OTEL_BSP_*), as FastAPI's
# documentation does with FASTAPI_OTEL_AUTO_CONFIGURE=true. The per-operation spans (dependencies, endpoint,
# serialization) are switched off so that every stack exports one span per request: the server span.

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


# OTEL-SETUP-BEGIN
app = FastAPI(lifespan=lifespan, telemetry={"auto_configure": True, "operation_spans": False})
# OTEL-SETUP-END


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
