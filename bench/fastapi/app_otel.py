"""Reference service: FastAPI on uvicorn, traced with OpenTelemetry and exported over OTLP/HTTP."""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

# OTEL-SETUP-BEGIN
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "bench-fastapi"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
# OTEL-SETUP-END

app = FastAPI()
FastAPIInstrumentor.instrument_app(app)
BODY = {"message": "hello", "ok": True, "items": [1, 2, 3]}


@app.get("/health", response_class=PlainTextResponse)
async def health() -> str:
    return "ok"


@app.get("/json")
async def json_body() -> dict[str, object]:
    return BODY
