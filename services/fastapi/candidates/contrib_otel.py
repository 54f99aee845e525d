"""Candidate: FastAPI traced by the contrib instrumentor (opentelemetry-instrumentation-fastapi)."""

# Measured beside the built-in tracing (../app_otel.py). The instrumentor's ASGI `http send`/`http receive` spans are
# left out with its own option (`exclude_spans`), so it exports one span per request, the server span. FastAPI's
# built-in tracing finds the instrumentor's middleware in the app and switches itself off, so the two never both
# emit a server span (the span probe counts server spans per request).

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse

# OTEL-SETUP-BEGIN
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# BatchSpanProcessor reads OTEL_BSP_*, the exporter OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; W3C trace context is the
# default propagator.
provider = TracerProvider(resource=Resource.create({"service.name": "bench-fastapi"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
# OTEL-SETUP-END

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
    provider.shutdown()


app = FastAPI(lifespan=lifespan)
FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"])


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
