-- wrk script for bench/load.py: one connection per wrk thread sends the mix that load.py wrote to a file.
--
-- Arguments (after wrk's "--"): the mix file, "repeated" or "unique", and N (every Nth request of a connection is the
-- explosive query; 0 for never).  Each line of the mix file is: kind ("light" or "explosive"), the Accept header, then
-- the percent-encoded path in pieces, all separated by tabs.  The pieces are joined with "" (repeated) or with a
-- suffix unique to this connection and turn (unique), which renames one variable of the query.
--
-- With one connection per thread, a thread has at most one request in flight, so this script can time each request
-- itself and keep light and explosive requests apart, which wrk's own latency histogram cannot.  done() prints one
-- JSON line: what every connection saw, and wrk's own counts and percentiles over all requests.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } load_timespec;
  int clock_gettime(int clock, load_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("load_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

local function read_mix(path)
  local light, explosive = {}, nil
  for line in io.lines(path) do
    local fields = split(line)
    local entry = { headers = { Accept = fields[2] }, pieces = { unpack(fields, 3) } }
    if fields[1] == "explosive" then explosive = entry else light[#light + 1] = entry end
  end
  return light, explosive
end

-- main state: number the threads (one connection each) --------------------------------------------------------------

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("connection", #threads)
end

-- thread states: the counters of one connection (plain globals and flat lists, so that done() can read them) ---------

function init(args)
  mix, explosive_entry = read_mix(args[1])
  unique = args[2] == "unique"
  explosive_every = tonumber(args[3])
  turn = connection - 1 -- connections start at different queries of the mix
  light_us, light_error_statuses = {}, {}
  explosive_sent, explosive_answered, cut_off_us = 0, 0, {}
  current_explosive, started = false, 0
end

-- wrk calls request() once more on the first thread, to check what it returns, and never sends that request: light
-- requests are therefore counted when answered, and explosive ones are counted when made (that call is light).

function request()
  local is_explosive = explosive_every > 0 and turn % explosive_every == explosive_every - 1
  local entry = is_explosive and explosive_entry or mix[turn % #mix + 1]
  turn = turn + 1
  local suffix = unique and ("_" .. connection .. "_" .. turn) or ""
  if is_explosive then explosive_sent = explosive_sent + 1 end
  current_explosive, started = is_explosive, now_us()
  return wrk.format("GET", table.concat(entry.pieces, suffix), entry.headers)
end

function response(status)
  local elapsed = now_us() - started
  local ok = status >= 200 and status < 300
  if current_explosive then
    if ok then explosive_answered = explosive_answered + 1 else cut_off_us[#cut_off_us + 1] = elapsed end
  elseif ok then
    light_us[#light_us + 1] = elapsed
  else
    light_error_statuses[#light_error_statuses + 1] = status
  end
end

-- main state, at the end ---------------------------------------------------------------------------------------------

local function list(values)
  return "[" .. table.concat(values, ",") .. "]"
end

local function object(pairs_)
  local parts = {}
  for _, pair in ipairs(pairs_) do
    parts[#parts + 1] = '"' .. pair[1] .. '":' .. pair[2]
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _)
  local connections = {}
  for _, thread in ipairs(threads) do
    local fields = {}
    for _, name in ipairs({ "explosive_sent", "explosive_answered" }) do
      fields[#fields + 1] = { name, string.format("%d", thread:get(name)) }
    end
    for _, name in ipairs({ "light_us", "light_error_statuses", "cut_off_us" }) do
      fields[#fields + 1] = { name, list(thread:get(name)) }
    end
    connections[#connections + 1] = object(fields)
  end
  local errors = summary.errors
  print(object({
    { "connections", list(connections) },
    { "requests", summary.requests },
    { "duration_us", summary.duration },
    { "socket_errors", errors.connect + errors.read + errors.write },
    { "status_errors", errors.status },
    { "p50_us", latency:percentile(50) },
    { "p99_us", latency:percentile(99) },
  }))
end
