-- wrk script for GET /api/timelines/home?limit=20, each request signed in as the next of the
-- seeded users: tokens from the graph file bench/home-seed.mjs wrote ($CHIRP_GRAPH, third
-- field of each line; the first $CHIRP_HOME_USERS lines, default all).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
done = require("report").done

local tokens = {}
local limit = tonumber(os.getenv("CHIRP_HOME_USERS") or "") or math.huge
local graph = os.getenv("CHIRP_GRAPH") or error("set CHIRP_GRAPH to the graph file of bench/home-seed.mjs")
for line in io.lines(graph) do
  if #tokens >= limit then break end
  local token = line:match("^%S+ %S+ (%S+)")
  if token then tokens[#tokens + 1] = token end
end
if #tokens == 0 then error("no tokens in " .. graph) end

local i = 0
function init(args)
  -- Threads start at different users.
  i = math.random(#tokens)
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/timelines/home?limit=20", { ["Authorization"] = "Bearer " .. tokens[i] })
end
