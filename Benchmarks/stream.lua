-- wrk script: POST /api/message, one complete 100-word echo stream per request.
--
--   wrk -s stream.lua URL -- RUNID [validate|run] [BACKEND]
--
-- Each request carries a distinct conversation_id ("RUNID-THREAD-COUNTER"): a
-- conversation can stream one reply at a time (409 otherwise).
-- With "validate", every response is checked (200, exactly 100 chunk events, then
-- the end event) and done() prints "validate: good=N bad=M"; without it wrk does
-- not buffer bodies, so the throughput run measures the server, not Lua.
-- BACKEND (default echo) names the backend; any that answers with 100 chunks will do
-- (the proxied section points `openai` at a 100-event upstream).

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   table.insert(threads, thread)
end

function init(args)
   local words = {}
   for i = 1, 100 do words[i] = "word" .. i end
   local run_id = args[1] or "wrk"
   prefix = '{"message":"' .. table.concat(words, " ") ..
      '","backend":"' .. (args[3] or "echo") .. '","conversation_id":"' .. run_id .. '-' .. thread_id .. '-'
   headers = { ["Content-Type"] = "application/json" }
   counter = 0
   good = 0
   bad = 0
   first_bad = ""
   if args[2] == "validate" then
      response = function(status, _, body)
         local _, chunks = body:gsub('data: {"chunk":', "")
         local last = body:match('data: ({[^\n]*})\n\n$') or ""
         if status == 200 and chunks == 100 and last:find('"end":true', 1, true) then
            good = good + 1
         else
            bad = bad + 1
            if first_bad == "" then
               first_bad = "status " .. status .. ", " .. chunks .. " chunks, last event " .. last:sub(1, 120)
            end
         end
      end
   end
end

function request()
   counter = counter + 1
   return wrk.format("POST", "/api/message", headers, prefix .. counter .. '"}')
end

function done(summary, latency, requests)
   local g, b, why = 0, 0, ""
   for _, t in ipairs(threads) do
      g = g + (t:get("good") or 0)
      b = b + (t:get("bad") or 0)
      local fb = t:get("first_bad")
      if fb and fb ~= "" and why == "" then why = fb end
   end
   if g + b > 0 then
      io.write(string.format("validate: good=%d bad=%d %s\n", g, b, why))
   end
end
