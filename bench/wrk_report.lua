-- wrk script of `make bench` (bench/load.py): GET the paths of a file in turn, with an optional
-- Cookie header; count the answers that are not 2xx (wrk itself only counts >= 400) and those the
-- page cache served (header X-Page-Cache: hit); print one JSON line with the throughput, the
-- latency percentiles (microseconds), the errors and the cache hits.
--
--   wrk -t2 -c16 -d20s -s bench/wrk_report.lua http://127.0.0.1:8765 -- paths.txt "sessionid=..."

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  headers = {}
  if args[2] and args[2] ~= "" then
    headers["Cookie"] = args[2]
  end
  -- Each thread starts at a different place of the list, so that the connections spread.
  index = (id * 7) % #paths
  non2xx = 0
  hits = 0
  statuses = {}
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index], headers)
end

function response(status, response_headers, body)
  if (response_headers["X-Page-Cache"] or response_headers["x-page-cache"]) == "hit" then
    hits = hits + 1
  end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local other = 0
  local cached = 0
  local seen = {}
  for _, thread in ipairs(threads) do
    other = other + thread:get("non2xx")
    cached = cached + thread:get("hits")
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "non2xx": %d, "hits": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    other, cached, table.concat(parts, ", ")
  ))
end
