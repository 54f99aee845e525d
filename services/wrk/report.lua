-- wrk done() hook: writes the run's summary as one JSON object to $WRK_REPORT_FILE,
-- so the harness reads exact numbers instead of parsing wrk's human-readable text.
local out_path = os.getenv("WRK_REPORT_FILE")

done = function(summary, latency, requests)
  local e = summary.errors
  local json = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%.3f,"max":%.3f,"mean":%.3f,"stdev":%.3f,' ..
    '"p50":%.3f,"p90":%.3f,"p99":%.3f,"p999":%.3f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9))
  if out_path then
    local f = assert(io.open(out_path, "w"))
    f:write(json)
    f:close()
  else
    io.write("WRK_REPORT ", json)
  end
end
