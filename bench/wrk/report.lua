-- wrk script: counts responses whose status differs from the expected one and,
-- when the run is done, prints one line "BENCH_JSON {...}" with requests/s and
-- latency percentiles (microseconds) for bench/run.py to read.
--   wrk -t1 -c4 -d8s -s bench/wrk/report.lua URL -- 200
-- A session cookie, when needed, comes in with -H "Cookie: ...".

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1] or "200")
  unexpected = 0
  last_status = 0
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local bad, seen = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    local s = thread:get("last_status")
    if s ~= 0 then seen = s end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"unexpected_status":%d,"last_unexpected":%d},' ..
    '"latency_ms":{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p95":%.3f,"p99":%.3f,"max":%.3f}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad, seen,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
