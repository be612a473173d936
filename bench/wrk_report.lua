-- wrk: one machine-readable line with the totals and latency percentiles (microseconds).
done = function(summary, latency, requests)
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p95_us":%d,"errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
