// Reference service: net/http with Go 1.22+ routing patterns, no tracing.
// GET /health, GET /json, and GET /db (one random row of `world`, as TechEmpower's single query).
package main

import (
	"context"
	"encoding/json"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
)

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
	pool, err := openPool()
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /db", dbHandler(pool))
	log.Fatal(http.ListenAndServe(net.JoinHostPort(host, port), mux))
}
