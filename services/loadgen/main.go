// loadgen: a constant-arrival-rate (open-loop) HTTP/1.1 load generator, corrected for coordinated omission.
//
// Request i is due at start + i/rate. A fixed pool of keep-alive connections takes the due requests in order;
// when every connection is still waiting for a response, the next request waits in the generator, and its
// latency is still counted from the moment it was due (the wrk2 model), so a slow server cannot hide its
// queueing delay by slowing the offered load down. Every latency is kept and the percentiles are exact
// (nearest rank). It prints one JSON object, including its own CPU time, so the harness can report what the
// generator cost on the load core.
//
// Why not vegeta's attacker: on one load core it spent ~130 µs of CPU per request (net/http client, a
// goroutine and a result per hit) and could not offer more than a few thousand requests per second, far
// below the closed-loop peaks of the Go and Bun services. This loop spends a few µs per request: one write,
// one read, a minimal response parser (status line, Content-Length or chunked body).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type report struct {
	OfferedRPS  float64 `json:"offered_rps"`
	DurationS   float64 `json:"duration_s"`
	Connections int     `json:"connections"`
	Requests    int     `json:"requests"`
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	Timeouts    int     `json:"timeouts"`
	AchievedRPS float64 `json:"achieved_rps"`
	P50         float64 `json:"latency_p50_ms"`
	P90         float64 `json:"latency_p90_ms"`
	P99         float64 `json:"latency_p99_ms"`
	P999        float64 `json:"latency_p999_ms"`
	Max         float64 `json:"latency_max_ms"`
	// How late the generator itself woke for requests it slept for (scheduling, CPU starvation): the part
	// of a latency that is the load side's fault. Requests already overdue (every connection busy) are the
	// server's backlog and are not in it.
	LagP99MS float64 `json:"schedule_lag_p99_ms"`
	// Time the generator's threads spent runnable but waiting for a CPU (/proc/self/task/*/schedstat), as a
	// share of the run: other work on the load core delays every request the generator sends.
	RunqueueWaitPct float64 `json:"runqueue_wait_pct"`
	CPUSeconds      float64 `json:"cpu_s"`
	FirstError      string  `json:"first_error,omitempty"`
}

type worker struct {
	latencies []time.Duration
	ok, errs  int
	timeouts  int
	lastEnd   time.Time
	lags      []time.Duration
	firstErr  string
}

var errStatus = errors.New("non-2xx status")

// rank is the nearest-rank percentile of sorted values, in milliseconds.
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

// runqueueWait sums, over the process's threads, the time spent waiting on a run queue (Linux schedstat).
func runqueueWait() time.Duration {
	var total time.Duration
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		fields := bytes.Fields(b)
		if len(fields) >= 2 {
			if ns, err := strconv.ParseInt(string(fields[1]), 10, 64); err == nil {
				total += time.Duration(ns)
			}
		}
	}
	return total
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// readResponse reads one HTTP/1.1 response and reports its status and whether the connection stays open.
func readResponse(r *bufio.Reader) (int, bool, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	// HTTP/1.0 closes after the response unless it says keep-alive
	length, chunked, keep := -1, false, line[7] != '0'
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, found := bytes.Cut(h, []byte(":"))
		if !found {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = bytes.EqualFold(value, []byte("keep-alive")) ||
				(keep && !bytes.EqualFold(value, []byte("close")))
		}
	}
	switch {
	case chunked:
		for {
			size, err := r.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			hex, _, _ := bytes.Cut(bytes.TrimRight(size, "\r\n"), []byte(";"))
			n, err := strconv.ParseInt(string(bytes.TrimSpace(hex)), 16, 64)
			if err != nil {
				return 0, false, fmt.Errorf("bad chunk size %q", size)
			}
			if _, err := r.Discard(int(n) + 2); err != nil {
				return 0, false, err
			}
			if n == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := r.Discard(length); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, errors.New("response without Content-Length or chunked body")
	}
	return status, keep, nil
}

// exchange sends one request and reads its response before the deadline.
func exchange(conn net.Conn, rd *bufio.Reader, request []byte, deadline time.Time) (int, bool, error) {
	conn.SetDeadline(deadline)
	if _, err := conn.Write(request); err != nil {
		return 0, false, err
	}
	return readResponse(rd)
}

func main() {
	target := flag.String("url", "", "target URL (GET, http only)")
	rate := flag.Int("rate", 0, "offered requests per second")
	duration := flag.Duration("duration", 5*time.Second, "how long to offer load")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout (a timed-out request is an error)")
	conns := flag.Int("connections", 100, "keep-alive connections (requests beyond them wait, timed from when due)")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Scheme != "http" || *rate < 1 || *duration <= 0 || *conns < 1 {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url http://HOST:PORT/PATH -rate N -duration 5s [-timeout 5s] [-connections 100]")
		os.Exit(2)
	}
	path := u.RequestURI()
	request := []byte("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: lead-magnet-loadgen\r\n\r\n")
	total := int64(math.Round(float64(*rate) * duration.Seconds()))
	interval := float64(time.Second) / float64(*rate)
	var next atomic.Int64
	waitBefore := runqueueWait()
	workers := make([]*worker, *conns)
	start := time.Now().Add(20 * time.Millisecond) // every connection is dialled before the first request is due
	var wg sync.WaitGroup
	for w := range workers {
		wk := &worker{latencies: make([]time.Duration, 0, total/int64(*conns)+16)}
		workers[w] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var rd *bufio.Reader
			fail := func(due time.Time, err error) {
				now := time.Now()
				wk.latencies = append(wk.latencies, now.Sub(due))
				wk.errs++
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					wk.timeouts++
				}
				if wk.firstErr == "" {
					wk.firstErr = err.Error()
				}
				wk.lastEnd = now
				if conn != nil {
					conn.Close()
					conn = nil
				}
			}
			for {
				i := next.Add(1) - 1
				if i >= total {
					break
				}
				due := start.Add(time.Duration(float64(i) * interval))
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
					wk.lags = append(wk.lags, time.Since(due))
				}
				reused := conn != nil
				if conn == nil {
					c, err := net.DialTimeout("tcp", u.Host, *timeout)
					if err != nil {
						fail(due, err)
						continue
					}
					conn, rd = c, bufio.NewReaderSize(c, 16<<10)
				}
				status, keep, err := exchange(conn, rd, request, due.Add(*timeout))
				if err == io.EOF && reused {
					// the server closed an idle keep-alive connection: redial once, as HTTP clients do
					conn.Close()
					c, derr := net.DialTimeout("tcp", u.Host, *timeout)
					if derr != nil {
						conn = nil
						fail(due, derr)
						continue
					}
					conn, rd = c, bufio.NewReaderSize(c, 16<<10)
					status, keep, err = exchange(conn, rd, request, due.Add(*timeout))
				}
				if err == nil && (status < 200 || status > 299) {
					err = fmt.Errorf("%w %d", errStatus, status)
				}
				if err != nil {
					if err == io.EOF {
						err = errors.New("connection closed by server")
					}
					fail(due, err)
					continue
				}
				now := time.Now()
				wk.latencies = append(wk.latencies, now.Sub(due))
				wk.ok++
				wk.lastEnd = now
				if !keep {
					conn.Close()
					conn = nil
				}
			}
			if conn != nil {
				conn.Close()
			}
		}()
	}
	wg.Wait()
	waited := runqueueWait() - waitBefore
	elapsed := time.Since(start)
	out := report{OfferedRPS: float64(*rate), DurationS: duration.Seconds(), Connections: *conns}
	var all, lags []time.Duration
	var lastEnd time.Time
	for _, wk := range workers {
		all = append(all, wk.latencies...)
		out.OK += wk.ok
		out.Errors += wk.errs
		out.Timeouts += wk.timeouts
		if wk.lastEnd.After(lastEnd) {
			lastEnd = wk.lastEnd
		}
		lags = append(lags, wk.lags...)
		if out.FirstError == "" {
			out.FirstError = wk.firstErr
		}
	}
	out.Requests = len(all)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	out.LagP99MS = rank(lags, 0.99)
	// Completed per second over the offered window, or until the last response when the backlog drained later,
	// so it never exceeds the offered rate.
	window := math.Max(duration.Seconds(), lastEnd.Sub(start).Seconds())
	out.AchievedRPS = float64(out.OK) / window
	out.P50, out.P90 = rank(all, 0.50), rank(all, 0.90)
	out.P99, out.P999 = rank(all, 0.99), rank(all, 0.999)
	if n := len(all); n > 0 {
		out.Max = float64(all[n-1]) / float64(time.Millisecond)
	}
	out.CPUSeconds = cpuSeconds()
	if elapsed > 0 {
		out.RunqueueWaitPct = 100 * float64(waited) / float64(elapsed)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
