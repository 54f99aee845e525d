// Reference service: net/http traced with Debian's OpenTelemetry Go SDK (1.1.0).
// That package ships no OTLP exporter and no otelhttp middleware, so spans go out through its
// Jaeger collector exporter (Thrift over HTTP) and the server span is made by the small middleware below.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	// OTEL-SETUP-BEGIN
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/jaeger"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.7.0"
	"go.opentelemetry.io/otel/trace"
)

// setupTracing exports spans to OTEL_EXPORTER_JAEGER_ENDPOINT in batches (SDK defaults).
func setupTracing() (*sdktrace.TracerProvider, error) {
	exp, err := jaeger.New(jaeger.WithCollectorEndpoint())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceNameKey.String("bench-go"))),
	)
	otel.SetTracerProvider(tp)
	return tp, nil
}

// traced wraps a handler in a server span named after its route, as otelhttp would.
func traced(route string, h http.HandlerFunc) http.HandlerFunc {
	tracer := otel.Tracer("bench-go")
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracer.Start(r.Context(), r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPMethodKey.String(r.Method), semconv.HTTPRouteKey.String(route),
				semconv.HTTPTargetKey.String(r.URL.Path)))
		defer span.End()
		h(w, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.status_code", http.StatusOK))
	}
}

// OTEL-SETUP-END

var body = []byte(`{"message":"hello","ok":true,"items":[1,2,3]}`)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	tp, err := setupTracing()
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", traced("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	}))
	mux.HandleFunc("/json", traced("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	// Flush buffered spans on SIGTERM so a short run still delivers every span.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	_ = tp.Shutdown(ctx)
}
