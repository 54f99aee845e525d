// loadgen: a constant-arrival-rate (open-loop) load generator built on vegeta's library.
//
// It offers `-rate` requests per second to one URL for `-duration`, whatever the server does: a request
// that is due goes out on a new connection when every open one is waiting, so a slow server cannot slow
// the offered load down (no coordinated omission). Every latency is kept and percentiles are exact
// (nearest rank), not sketched. It prints one JSON object and reports its own CPU time, so the harness can
// say what the generator cost on the load core.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type report struct {
	OfferedRPS  float64 `json:"offered_rps"`
	DurationS   float64 `json:"duration_s"`
	Requests    int     `json:"requests"`
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	Timeouts    int     `json:"timeouts"`
	AchievedRPS float64 `json:"achieved_rps"`
	SentRPS     float64 `json:"sent_rps"`
	P50         float64 `json:"latency_p50_ms"`
	P90         float64 `json:"latency_p90_ms"`
	P99         float64 `json:"latency_p99_ms"`
	P999        float64 `json:"latency_p999_ms"`
	Max         float64 `json:"latency_max_ms"`
	CPUSeconds  float64 `json:"cpu_s"`
	FirstError  string  `json:"first_error,omitempty"`
}

// rank is the nearest-rank percentile of sorted values.
func rank(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return float64(sorted[i]) / float64(time.Millisecond)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func main() {
	url := flag.String("url", "", "target URL (GET)")
	rate := flag.Int("rate", 0, "offered requests per second")
	duration := flag.Duration("duration", 5*time.Second, "how long to offer load")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout (a timed-out request is an error)")
	flag.Parse()
	if *url == "" || *rate < 1 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL -rate N -duration 5s [-timeout 5s]")
		os.Exit(2)
	}
	attacker := vegeta.NewAttacker(
		vegeta.Timeout(*timeout),
		vegeta.KeepAlive(true),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Workers(16),
		vegeta.MaxWorkers(vegeta.DefaultMaxWorkers),
		vegeta.Connections(10000),
	)
	target := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: *url})
	pacer := vegeta.Rate{Freq: *rate, Per: time.Second}
	latencies := make([]time.Duration, 0, int(float64(*rate)*duration.Seconds())+16)
	out := report{OfferedRPS: float64(*rate)}
	var first, last time.Time
	for res := range attacker.Attack(target, pacer, *duration, "loadgen") {
		out.Requests++
		latencies = append(latencies, res.Latency)
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if end := res.End(); end.After(last) {
			last = end
		}
		if res.Error == "" && res.Code >= 200 && res.Code < 300 {
			out.OK++
			continue
		}
		out.Errors++
		if strings.Contains(res.Error, "Client.Timeout") || strings.Contains(res.Error, "deadline exceeded") ||
			strings.Contains(res.Error, "i/o timeout") {
			out.Timeouts++
		}
		if out.FirstError == "" {
			out.FirstError = fmt.Sprintf("%d %s", res.Code, res.Error)
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	out.DurationS = duration.Seconds()
	if span := last.Sub(first).Seconds(); span > 0 {
		out.AchievedRPS = float64(out.OK) / span
		out.SentRPS = float64(out.Requests) / math.Max(duration.Seconds(), 1e-9)
	}
	out.P50, out.P90 = rank(latencies, 0.50), rank(latencies, 0.90)
	out.P99, out.P999 = rank(latencies, 0.99), rank(latencies, 0.999)
	if n := len(latencies); n > 0 {
		out.Max = float64(latencies[n-1]) / float64(time.Millisecond)
	}
	out.CPUSeconds = cpuSeconds()
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
