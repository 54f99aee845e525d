// Candidate: Elysia on Bun traced with @elysiajs/opentelemetry (which starts the Node SDK itself), exporting
// OTLP/HTTP protobuf through a batch span processor (the 2.x SDK it depends on reads OTEL_BSP_*).
import { Elysia } from "elysia";
// OTEL-SETUP-BEGIN
import { opentelemetry } from "@elysiajs/opentelemetry";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
// OTEL-SETUP-END

const BODY = { message: "hello", ok: true, items: [1, 2, 3] };
const port = Number(process.env.PORT ?? "8080");
// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
const hostname = process.env.LISTEN_ADDRESS || "127.0.0.1";

new Elysia()
  .use(opentelemetry({ serviceName: "bench-bun", spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] }))
  .get("/health", () => "ok")
  .get("/json", () => BODY)
  .listen({ hostname, port });
