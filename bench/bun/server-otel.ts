// Reference service: Bun.serve, traced with OpenTelemetry and exported over OTLP/HTTP.
// OTEL-SETUP-BEGIN
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench-bun" }),
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
// The Node auto-instrumentation for HTTP servers; whether it sees Bun.serve is what the harness measures.
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
const tracer = trace.getTracer("bench-bun");
// BENCH_OTEL_MANUAL=0 leaves only the auto-instrumentation, so the harness can count what it alone emits.
const manual = (process.env.BENCH_OTEL_MANUAL ?? "1") !== "0";

function traced(route: string, req: Request, handle: () => Response): Response {
  if (!manual) return handle();
  return tracer.startActiveSpan(`GET ${route}`, { kind: SpanKind.SERVER, attributes: {
    "http.request.method": req.method, "http.route": route, "url.path": route } }, (span) => {
    const res = handle();
    span.setAttribute("http.response.status_code", res.status);
    if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    return res;
  });
}
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => { void provider.shutdown().finally(() => process.exit(0)); });
}
// OTEL-SETUP-END

const BODY = JSON.stringify({ message: "hello", ok: true, items: [1, 2, 3] });
const port = Number(process.env.PORT ?? "8080");

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req: Request): Response {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/health") {
      return traced("/health", req, () => new Response("ok", { headers: { "content-type": "text/plain" } }));
    }
    if (req.method === "GET" && path === "/json") {
      return traced("/json", req, () => new Response(BODY, { headers: { "content-type": "application/json" } }));
    }
    return new Response("not found", { status: 404 });
  },
});
