-- wrk script for POST /api/tweets with a bearer token from $CHIRP_TOKEN: each request a new
-- tweet of 6-20 words drawn with a Zipf-like skew (word k with weight 1/k) from the common
-- words below and made-up ones, one in ten with a hashtag, so that the search index sees
-- new and repeated words as it does in use (bench/search.sh).
-- post.lua sets the method, path, headers and report; this adds a new body per request.
dofile(debug.getinfo(1, "S").source:match("@?(.*/)") .. "post.lua")

local common = { "the", "be", "to", "of", "and", "a", "in", "that", "have", "i", "it", "for",
  "not", "on", "with", "he", "as", "you", "do", "at", "this", "but", "his", "by", "from",
  "they", "we", "say", "her", "she", "or", "will", "my", "one", "all", "would", "there",
  "what", "so", "up", "out", "if", "about", "who", "get", "which", "go", "when", "make",
  "can", "like", "time", "people", "year", "good", "work", "world", "café", "music", "code" }
local syllables = { "ba", "ko", "ri", "tem", "lu", "sha", "dro", "vin", "pel", "qua", "zo", "mar" }
local tags = { "music", "rust", "news", "art", "travel", "food", "coffee", "science" }

-- Each thread its own stream (wrk gives every thread a Lua state of its own, seeded alike).
function init()
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end

local function word()
  -- Zipf-like over 60 common words plus a long tail of made-up ones.
  local k = math.floor(math.exp(math.random() * math.log(20000)))
  if k <= #common then return common[k] end
  -- Word k of the tail: k written in base 12 with a syllable for each digit.
  local w, n = "", k
  repeat
    w = w .. syllables[n % #syllables + 1]
    n = math.floor(n / #syllables)
  until n == 0
  return w
end

request = function()
  local n = math.random(6, 20)
  local parts = {}
  for i = 1, n do parts[i] = word() end
  if math.random() < 0.1 then parts[#parts + 1] = "#" .. tags[math.random(#tags)] end
  local body = '{"text":"' .. table.concat(parts, " ") .. '"}'
  return wrk.format(nil, nil, nil, body)
end
