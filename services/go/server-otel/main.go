// Reference service: the baseline traced as OpenTelemetry's Go getting-started does it: otelhttp.NewHandler
// on each route (server span "GET /json" with http.route from the Go 1.22+ pattern), the OTLP/HTTP protobuf
// exporter (otlptracehttp, configured by the OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables), a resource with
// service.name and the W3C trace-context propagator. No database spans: Bun.SQL has no OpenTelemetry
// instrumentation, so for a like-for-like cost of tracing no stack traces its queries (services/README.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	// OTEL-SETUP-BEGIN
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

func setupTracing(ctx context.Context) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("bench-go"))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp, nil
}

// OTEL-SETUP-END

var body = []byte(`{"message":"hello","ok":true,"items":[1,2,3]}`)

type world struct {
	ID           int32 `json:"id"`
	RandomNumber int32 `json:"randomNumber"`
}

// openPool returns nil when DATABASE_URL is unset: the service then starts without touching a database.
// pgxpool connects lazily, so startup never includes a database connect.
func openPool() (*pgxpool.Pool, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, nil
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = poolSize()
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

func poolSize() int32 {
	if n, err := strconv.Atoi(os.Getenv("DB_POOL_SIZE")); err == nil && n > 0 {
		return int32(n)
	}
	return 8
}

func dbHandler(pool *pgxpool.Pool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if pool == nil {
			http.Error(w, "no database configured", http.StatusServiceUnavailable)
			return
		}
		var row world
		err := pool.QueryRow(r.Context(), "SELECT id, randomnumber FROM world WHERE id = $1", rand.IntN(10000)+1).
			Scan(&row.ID, &row.RandomNumber)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(row)
	}
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	// LISTEN_ADDRESS: where to listen (the harness's --hosts runs set the service host's address); loopback by default
	host := os.Getenv("LISTEN_ADDRESS")
	if host == "" {
		host = "127.0.0.1"
	}
	tp, err := setupTracing(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	pool, err := openPool()
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	// otelhttp inside the mux: the request already carries its pattern, so the server span is named
	// "GET /json" and gets http.route from the start (around the whole mux it would get the name only).
	handleFunc := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, otelhttp.NewHandler(h, pattern)) }
	handleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	handleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	handleFunc("GET /db", dbHandler(pool))
	srv := &http.Server{Addr: net.JoinHostPort(host, port), Handler: mux}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
