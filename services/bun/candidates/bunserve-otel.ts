// Candidate: Bun.serve traced by hand. Bun.serve has no HTTP auto-instrumentation (the Node one patches
// node:http, which Bun.serve does not use), so the fetch handler starts the server span itself.
// OTEL-SETUP-BEGIN
import { context, propagation, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

// The 3.x JS SDK's BatchSpanProcessor no longer reads OTEL_BSP_*: pass the settings every stack gets.
const env = (key: string) => (process.env[key] ? Number(process.env[key]) : undefined);
const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": "bench-bun" }),
  spanProcessors: [new BatchSpanProcessor({
    exporter: new OTLPTraceExporter(),
    maxQueueSize: env("OTEL_BSP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
    scheduledDelayMillis: env("OTEL_BSP_SCHEDULE_DELAY"),
    exportTimeoutMillis: env("OTEL_BSP_EXPORT_TIMEOUT"),
  })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer("bench-bun");

function traced(route: string, req: Request, handle: () => Response): Response {
  const parent = propagation.extract(context.active(), Object.fromEntries(req.headers));
  return tracer.startActiveSpan(`GET ${route}`, { kind: SpanKind.SERVER, attributes: {
    "http.request.method": req.method, "http.route": route, "url.path": route } }, parent, (span) => {
    const res = handle();
    span.setAttribute("http.response.status_code", res.status);
    if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    return res;
  });
}
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => void provider.shutdown().finally(() => process.exit(0)));
}
// OTEL-SETUP-END

const BODY = JSON.stringify({ message: "hello", ok: true, items: [1, 2, 3] });
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";

Bun.serve({
  hostname,
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
