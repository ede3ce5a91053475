-- wrk script for POST /api/v1/checkins: every request a new event of the generated
-- province (scripts/bench sets the environment). Events are a microsecond apart from
-- BENCH_AT_EPOCH on, per thread its own device id, so none is a duplicate; people are
-- picked with a prime stride, as a morning's arrivals spread over the province.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local first, count, base, device
-- globals, so that done() can read them from each thread
sent, created, other = 0, 0, 0

function init(args)
  first = tonumber(os.getenv("STAFF_FIRST"))
  count = tonumber(os.getenv("STAFF_COUNT"))
  base = tonumber(os.getenv("BENCH_AT_EPOCH"))
  device = string.format("wrk-%s-%d", os.getenv("BENCH_RUN") or "0", tid)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
  sent = sent + 1
  local staff = first + (sent * 7919 + tid * 104729) % count
  local sec = base + math.floor(sent / 1000000)
  local at = os.date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%06dZ", sent % 1000000)
  local body = string.format(
    '{"staff_id":%d,"at":"%s","source":"device","device_id":"%s"}', staff, at, device)
  return wrk.format(nil, "/api/v1/checkins", nil, body)
end

-- A fixed rate (BENCH_RATE events/s over BENCH_THREADS wrk threads): each thread sends
-- on its own schedule, one event every THREADS/RATE seconds, whichever of its
-- connections is free; the clock is gettimeofday through LuaJIT's ffi.
if os.getenv("BENCH_RATE") then
  local ffi = require("ffi")
  ffi.cdef[[
    typedef struct { long tv_sec; long tv_usec; } bench_timeval;
    int gettimeofday(bench_timeval *tv, void *tz);
  ]]
  local tv = ffi.new("bench_timeval")
  local function now_ms()
    ffi.C.gettimeofday(tv, nil)
    return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
  end
  local interval = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / tonumber(os.getenv("BENCH_RATE"))
  local next_at = nil
  function delay()
    local now = now_ms()
    next_at = math.max(next_at or now, now - 100) + interval
    return math.max(0, math.floor(next_at - now))
  end
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    if other <= 3 then
      io.stderr:write(string.format("HTTP %d: %s\n", status, body))
    end
  end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("created=%d other=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f per_sec=%.0f\n",
    c, o, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    c / secs))
end
