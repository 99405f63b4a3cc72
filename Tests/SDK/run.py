#!/usr/bin/env python3
"""The provider endpoints tested with the providers' own Python SDKs as clients
(README "SDKs"): openai, anthropic and google-genai, installed by `make deps-test`.

Starts the built binary on port 0 (as Tests/Browser/run.py does), points each SDK at it
and checks streaming and whole replies, usage, reasoning (the mock's /think), errors as
each SDK's own exception classes, a client breaking off mid-stream, and the keys on a
loopback and on a public server. A small fake provider (Python's http.server) replays the
providers' exact bytes (Tests/Fixtures/Providers) for the matrix of each SDK against each
upstream format, and answers 429 for the rate-limit test.

    .build/venv/bin/python Tests/SDK/run.py --binary .build/debug/runnel [-k name]
"""
import argparse
import http.server
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

LISTENING = re.compile(r"runnel: listening on http://127\.0\.0\.1:(\d+)/")
KEY = "sdk-test-key-0123456789"


class Runnel:
    """The binary on port 0; `url` once it printed its listening line."""

    def __init__(self, binary, *args, env=None):
        cmd = [binary, "--port", "0", "--mock-ttft-ms", "5", "--mock-delay-ms", "1", "--quiet", *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace", env={**os.environ, **(env or {})})
        self.output = []
        lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                self.output.append(line.rstrip("\n"))
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 15
        self.port = None
        while self.port is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None and (time.monotonic() > deadline or self.proc.poll() is not None):
                self.stop()
                raise RuntimeError("runnel did not start:\n" + "\n".join(self.output))
            if line and (m := LISTENING.search(line)):
                self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "Providers")


class FakeProvider:
    """A provider on loopback that replays its exact stream bytes, the very files the
    XCTests feed `FakeUpstream` (Tests/Fixtures/Providers): OpenAI-compatible at
    `/v1/chat/completions`, Anthropic at `/v1/messages`, Gemini at `:streamGenerateContent`.
    With `status`, every POST gets that error instead. Keeps each request's path, headers
    and JSON body."""

    STREAMS = {"openai": "openai-reasoning.sse", "anthropic": "anthropic-thinking.sse", "gemini": "gemini-thoughts.sse"}

    def __init__(self, status=None):
        fake = self
        self.requests = []
        self.streams = {}
        for provider, name in self.STREAMS.items():
            with open(os.path.join(FIXTURES, name), "rb") as file:
                self.streams[provider] = file.read()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body or b"null")))
                provider = ("gemini" if ":streamGenerateContent" in self.path else "anthropic" if self.path.endswith("/messages")
                            else "openai" if self.path.endswith("/chat/completions") else None)
                if status is None and provider:
                    body = fake.streams[provider]
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                else:
                    body = json.dumps({"error": {"message": "Rate limit reached for requests", "type": "requests",
                                                 "code": "rate_limit_exceeded"}}).encode()
                    self.send_response(status or 404)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def raises(kind, call):
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"expected {kind.__name__}")


# ---- OpenAI -----------------------------------------------------------------------------

def openai_client(server, key="unused"):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)


def test_openai_stream_with_usage(server):
    stream = openai_client(server).chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    check(text == "one two three", text)
    check([c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"], "one finish")
    check(chunks[-1].choices == [] and chunks[-1].usage is not None, "the last chunk carries usage")
    check(all(c.object == "chat.completion.chunk" and c.model == "echo" for c in chunks), "chunk envelope")


def test_openai_reasoning_streamed_and_whole(server):
    client = openai_client(server)
    chunks = list(client.chat.completions.create(
        model="mock", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "/think hello"}],
        stream=True, stream_options={"include_usage": True}))
    reasoning = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks if c.choices)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    check("hello" in reasoning, reasoning)
    check(text and "hello" not in reasoning[len(reasoning):], "text follows")
    usage = chunks[-1].usage
    check(usage.completion_tokens_details.reasoning_tokens > 0, usage)
    check(usage.completion_tokens > usage.completion_tokens_details.reasoning_tokens, usage)

    whole = client.chat.completions.create(model="mock/mock-1", messages=[{"role": "user", "content": "/think hello"}])
    check(whole.object == "chat.completion" and whole.choices[0].finish_reason == "stop", whole)
    check(whole.choices[0].message.model_extra.get("reasoning_content") == reasoning, "the same reasoning, whole")
    check(whole.choices[0].message.content == text, "the same text, whole")
    check(whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens, whole.usage)


def test_sampling_options_reach_the_backend(server):
    """max_tokens goes through each format to the backend: the mock stops there, with the format's length reason."""
    openai_reply = openai_client(server).chat.completions.create(
        model="mock", max_tokens=4, temperature=0.5, messages=[{"role": "user", "content": "/long 40"}])
    check(openai_reply.choices[0].finish_reason == "length" and openai_reply.usage.completion_tokens == 4, openai_reply)
    message = anthropic_client(server).messages.create(model="mock", max_tokens=4, extra_body={"temperature": 0.5},
                                                       messages=[{"role": "user", "content": "/long 40"}])
    check(message.stop_reason == "max_tokens" and message.usage.output_tokens == 4, message)


def test_openai_models(server):
    ids = [m.id for m in openai_client(server).models.list()]
    check({"mock", "echo", "mock/mock-1"} <= set(ids), ids)


def test_openai_errors(server):
    client = openai_client(server)
    ask = lambda **kw: client.chat.completions.create(**{"model": "mock", "messages": [{"role": "user", "content": "hi"}], **kw})
    error = raises(openai.InternalServerError, lambda: ask(messages=[{"role": "user", "content": "/error"}]))
    check(error.status_code == 503 and "injected" in error.message, error)
    # A mock scenario's status fault (README "Mock scenarios"), streamed or not: that status.
    for stream in (False, True):
        error = raises(openai.RateLimitError, lambda: ask(messages=[{"role": "user", "content": "/429"}], stream=stream))
        check(error.status_code == 429 and "status-429" in error.message, error)
    # The mock's wire faults as the SDK meets them: a dropped connection, a frame not JSON.
    raises(openai.APIConnectionError, lambda: list(ask(messages=[{"role": "user", "content": "/drop"}], stream=True)))
    raises(json.JSONDecodeError, lambda: list(ask(messages=[{"role": "user", "content": "/malformed"}], stream=True)))
    error = raises(openai.NotFoundError, lambda: ask(model="gpt-nope"))
    check("gpt-nope" in error.message, error.message)
    raises(openai.BadRequestError, lambda: client.chat.completions.create(model="mock", messages=[]))
    raises(openai.BadRequestError, lambda: ask(extra_body={"messages": None}))
    error = raises(openai.BadRequestError, lambda: ask(messages=[{"role": "wizard", "content": "hi"}]))
    check("wizard" in error.message, error.message)
    raises(openai.BadRequestError, lambda: ask(messages=[{"role": "user", "content": ""}]))
    raises(openai.BadRequestError, lambda: ask(max_tokens="lots"))
    error = raises(openai.BadRequestError, lambda: ask(n=2))
    check("only one" in error.message and error.body.get("param") == "n", error.body)
    # A failure after the stream started arrives in it; the SDK raises APIError.
    stream = ask(messages=[{"role": "user", "content": "/error-mid"}], stream=True)
    raises(openai.APIError, lambda: list(stream))


def test_openai_client_breaks_off(server):
    client = openai_client(server)
    stream = client.chat.completions.create(model="mock", messages=[{"role": "user", "content": "/slow /long 3000"}], stream=True)
    pieces = 0
    for chunk in stream:
        pieces += 1
        if pieces == 5:
            break
    stream.close()
    # The server is unharmed and answers the next request at once.
    again = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "still here"}])
    check(again.choices[0].message.content == "still here", again)


# ---- Anthropic -------------------------------------------------------------------------

def anthropic_client(server, key="unused"):
    return anthropic.Anthropic(base_url=server.url, api_key=key, max_retries=0)


def test_anthropic_stream_with_thinking(server):
    client = anthropic_client(server)
    with client.messages.stream(model="mock", max_tokens=1024, system="Be brief.",
                                messages=[{"role": "user", "content": "/think hello"}]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    check(kinds[0] == "message_start", kinds)
    check(kinds[-1] == "message_stop" and "message_delta" in kinds, kinds)
    check([block.type for block in final.content] == ["thinking", "text"], final.content)
    check("hello" in final.content[0].thinking and final.content[1].text, final.content)
    check(final.stop_reason == "end_turn" and final.usage.output_tokens > 0, final)

    whole = client.messages.create(model="mock", max_tokens=1024, messages=[{"role": "user", "content": "/think hello"}])
    check([block.type for block in whole.content] == ["thinking", "text"], whole.content)
    check(whole.content[0].thinking == final.content[0].thinking and whole.content[1].text == final.content[1].text, "same reply")


def test_anthropic_plain_stream(server):
    with anthropic_client(server).messages.stream(model="echo", max_tokens=50,
                                                  messages=[{"role": "user", "content": [{"type": "text", "text": "a b c"}]}]) as stream:
        text = "".join(stream.text_stream)
    check(text == "a b c", text)


def test_anthropic_errors(server):
    client = anthropic_client(server)
    ask = lambda **kw: client.messages.create(**{"model": "mock", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **kw})
    error = raises(anthropic.InternalServerError, lambda: ask(messages=[{"role": "user", "content": "/error"}]))
    check(error.status_code == 503 and error.body["error"]["type"] == "overloaded_error", error.body)
    raises(anthropic.NotFoundError, lambda: ask(model="claude-nope"))
    raises(anthropic.BadRequestError, lambda: ask(messages=[]))
    raises(anthropic.BadRequestError, lambda: ask(messages=[{"role": "system", "content": "hi"}]))
    raises(anthropic.BadRequestError, lambda: ask(messages=[{"role": "user", "content": ""}]))
    raises(anthropic.BadRequestError, lambda: ask(extra_body={"max_tokens": "many"}))
    # Room for the tokens before the failure: the mock honours max_tokens (it would stop first at 10).
    raises(anthropic.APIStatusError, lambda: list(ask(messages=[{"role": "user", "content": "/error-mid"}], stream=True, max_tokens=100)))


def test_anthropic_client_breaks_off(server):
    client = anthropic_client(server)
    with client.messages.stream(model="mock", max_tokens=10, messages=[{"role": "user", "content": "/slow /long 3000"}]) as stream:
        for index, _ in enumerate(stream.text_stream):
            if index == 5:
                break
    check(client.messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "ok"}]).content[0].text == "ok", "next")


# ---- Gemini ----------------------------------------------------------------------------

GEMINI_CLIENTS = []  # kept: a collected genai.Client closes its connection pool under a request


def gemini_client(server, key="unused"):
    GEMINI_CLIENTS.append(genai.Client(api_key=key, http_options=genai_types.HttpOptions(base_url=server.url, retry_options=None)))
    return GEMINI_CLIENTS[-1]


def test_gemini_stream_with_thoughts(server):
    client = gemini_client(server)
    chunks = list(client.models.generate_content_stream(
        model="mock", contents="/think hello", config=genai_types.GenerateContentConfig(system_instruction="Be brief.")))
    parts = [part for chunk in chunks for part in (chunk.candidates[0].content.parts or [])]
    thoughts = "".join(p.text for p in parts if p.thought)
    text = "".join(p.text or "" for p in parts if not p.thought)
    check("hello" in thoughts and text, (thoughts, text))
    usage = chunks[-1].usage_metadata
    check(usage.thoughts_token_count > 0 and usage.candidates_token_count > 0, usage)
    check(chunks[-1].candidates[0].finish_reason == genai_types.FinishReason.STOP, chunks[-1])

    whole = client.models.generate_content(model="mock", contents="/think hello")
    check(whole.text == text, "the text, whole, without the thought")
    check(whole.candidates[0].content.parts[0].thought and whole.candidates[0].content.parts[0].text == thoughts, "the thought, whole")


def test_gemini_history_and_echo(server):
    contents = [genai_types.Content(role="user", parts=[genai_types.Part(text="first")]),
                genai_types.Content(role="model", parts=[genai_types.Part(text="ok")]),
                genai_types.Content(role="user", parts=[genai_types.Part(text="echo me")])]
    check(gemini_client(server).models.generate_content(model="echo", contents=contents).text == "echo me", "echo")


def test_gemini_errors(server):
    client = gemini_client(server)
    error = raises(genai_errors.ServerError, lambda: client.models.generate_content(model="mock", contents="/error"))
    check(error.code == 503 and error.status == "UNAVAILABLE", error)
    error = raises(genai_errors.ClientError, lambda: client.models.generate_content(model="gemini-nope", contents="hi"))
    check(error.code == 404, error)
    error = raises(genai_errors.ClientError, lambda: client.models.generate_content(
        model="mock", contents="hi", config=genai_types.GenerateContentConfig(candidate_count=2)))
    check(error.code == 400 and "one choice" in error.message, error)
    error = raises(genai_errors.ClientError, lambda: client.models.generate_content(model="mock", contents=""))
    check(error.code == 400, error)


def test_gemini_client_breaks_off(server):
    client = gemini_client(server)
    stream = client.models.generate_content_stream(model="mock", contents="/slow /long 3000")
    for index, _ in enumerate(stream):
        if index == 5:
            break
    stream.close()
    check(client.models.generate_content(model="echo", contents="fine").text == "fine", "next")


# ---- keys, upstream failures, across formats --------------------------------------------

def test_heartbeats_in_a_silent_stream_and_each_sdk_reads_through_them(binary):
    # A reply that stalls longer than --heartbeat-seconds: the raw streams carry pings
    # (OpenAI's an SSE comment, Anthropic's its own event), and each SDK still reads the
    # whole text. Gemini's streams get none (its SDK reads any non-data line as JSON).
    mocks = tempfile.mkdtemp(prefix="runnel-sdk-mocks-")
    with open(os.path.join(mocks, "stall.txt"), "w") as scenario:
        scenario.write("trigger: exact /stall\nstall: at 2 for 2200 ms\n--- reply\none two three four\n")
    server = Runnel(binary, "--mocks", mocks, "--heartbeat-seconds", "1")
    try:
        asks = [
            ("/v1/chat/completions", {"model": "mock", "stream": True, "messages": [{"role": "user", "content": "/stall"}]}, b"\n: ping\n\n", 1),
            ("/v1/messages", {"model": "mock", "max_tokens": 50, "stream": True, "messages": [{"role": "user", "content": "/stall"}]},
             b"event: ping\n", 2),  # the first is message_start's
        ]
        for path, body, ping, least in asks:
            request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
            raw = urllib.request.urlopen(request, timeout=30).read()
            check(raw.count(ping) >= least, f"{path}: {raw.count(ping)} pings in {raw[-300:]!r}")
        chunks = openai_client(server).chat.completions.create(model="mock", stream=True, messages=[{"role": "user", "content": "/stall"}])
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
        check(text == "one two three four", text)
        with anthropic_client(server).messages.stream(model="mock", max_tokens=50, messages=[{"role": "user", "content": "/stall"}]) as stream:
            text = "".join(stream.text_stream)
        check(text == "one two three four", text)
    finally:
        server.stop()
        shutil.rmtree(mocks, ignore_errors=True)


def test_api_key_as_each_sdk_sends_it(binary):
    server = Runnel(binary, "--api-key", KEY)
    try:
        raises(openai.AuthenticationError, lambda: openai_client(server, "wrong").models.list())
        check(openai_client(server, KEY).chat.completions.create(model="echo", messages=[{"role": "user", "content": "k"}])
              .choices[0].message.content == "k", "bearer")
        raises(anthropic.AuthenticationError, lambda: anthropic_client(server, "wrong").messages.create(
            model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}]))
        check(anthropic_client(server, KEY).messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}])
              .content[0].text == "k", "x-api-key")
        error = raises(genai_errors.ClientError, lambda: gemini_client(server, "wrong").models.generate_content(model="echo", contents="k"))
        check(error.code == 401, error)
        check(gemini_client(server, KEY).models.generate_content(model="echo", contents="k").text == "k", "x-goog-api-key")
    finally:
        server.stop()


def test_upstream_rate_limit_maps_to_each_sdk(binary):
    fake = FakeProvider(status=429)
    server = Runnel(binary, "--backend", "openai", "--base-url", fake.url + "/v1", env={"OPENAI_API_KEY": "sk-fake"})
    try:
        raises(openai.RateLimitError, lambda: openai_client(server).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]))
        raises(anthropic.RateLimitError, lambda: anthropic_client(server).messages.create(
            model="openai", max_tokens=5, messages=[{"role": "user", "content": "hi"}]))
        error = raises(genai_errors.ClientError, lambda: gemini_client(server).models.generate_content(model="openai", contents="hi"))
        check(error.code == 429 and error.status == "RESOURCE_EXHAUSTED", error)
    finally:
        server.stop()
        fake.stop()


# ---- the matrix: each SDK against each upstream format -----------------------------------
#
# One fake provider serves the three formats' exact bytes (Tests/Fixtures/Providers) and one
# Runnel reaches it as its `openai`, `anthropic` and `gemini` backends; each SDK asks each of
# them, streamed and whole, and must surface what the upstream said, reasoning included.

class Upstreams:
    """The fake provider and the Runnel in front of it, started once for the matrix."""

    def __init__(self, binary):
        self.fake = FakeProvider()
        self.server = Runnel(binary, env={
            "OPENAI_BASE_URL": self.fake.url + "/v1", "OPENAI_API_KEY": "sk-fake-openai",
            "ANTHROPIC_BASE_URL": self.fake.url, "ANTHROPIC_API_KEY": "sk-ant-fake",
            "GEMINI_BASE_URL": self.fake.url, "GEMINI_API_KEY": "fake-gemini-key"})

    def stop(self):
        self.server.stop()
        self.fake.stop()


# What each fixture says, as Runnel reads it: output tokens include the reasoning ones
# (OpenAI's and Anthropic's counts; Gemini's candidates plus thoughts); Anthropic gives no
# reasoning count of its own.
EXPECTED = {
    "openai": {"model": "deepseek-reasoner", "reasoning": "Let me think.", "text": "Hi", "finish": "length",
               "input": 10, "output": 30, "reasoning_tokens": 25, "signature": ""},
    "anthropic": {"model": "claude-sonnet-4-5", "reasoning": "I need to find the answer.", "text": "42", "finish": "length",
                  "input": 12, "output": 60, "reasoning_tokens": None,
                  "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
    "gemini": {"model": "gemini-2.5-flash", "reasoning": "**Weighing it up**\n\nThe user wants", "text": "Yes.", "finish": "stop",
               "input": 8, "output": 54, "reasoning_tokens": 52, "signature": ""},
}


def check_upstream_asked(upstreams, upstream, prompt):
    """The last request the fake got went to the right format, model and message."""
    path, headers, body = upstreams.fake.requests[-1]
    model = EXPECTED[upstream]["model"]
    if upstream == "gemini":
        check(f"/models/{model}:streamGenerateContent" in path and headers.get("x-goog-api-key") == "fake-gemini-key", path)
        check(body["contents"][-1]["parts"][0]["text"] == prompt, body)
    else:
        check(path.endswith("/chat/completions" if upstream == "openai" else "/v1/messages"), path)
        check(body["model"] == model and body["messages"][-1]["content"] in (prompt, [{"type": "text", "text": prompt}]), body)


def matrix_openai(upstreams, upstream):
    want = EXPECTED[upstream]
    client = openai_client(upstreams.server)
    model = f"{upstream}/{want['model']}"
    prompt = f"openai sdk asks {upstream}"
    chunks = list(client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}], stream=True,
                                                 stream_options={"include_usage": True}))
    check_upstream_asked(upstreams, upstream, prompt)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = "".join((d.model_extra or {}).get("reasoning_content") or "" for d in deltas)
    text = "".join(d.content or "" for d in deltas)
    check((reasoning, text) == (want["reasoning"], want["text"]), (reasoning, text))
    last_reasoning = max(i for i, d in enumerate(deltas) if (d.model_extra or {}).get("reasoning_content"))
    check(all(not d.content for d in deltas[:last_reasoning + 1]), "the reasoning comes before the text")
    check([c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [want["finish"]], chunks)
    usage = chunks[-1].usage
    check((usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (want["input"], want["output"], want["input"] + want["output"]), usage)
    check((usage.completion_tokens_details and usage.completion_tokens_details.reasoning_tokens) == want["reasoning_tokens"], usage)

    whole = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
    message = whole.choices[0].message
    check((message.model_extra.get("reasoning_content"), message.content) == (want["reasoning"], want["text"]), message)
    check(whole.choices[0].finish_reason == want["finish"] and whole.usage == usage, whole)


def matrix_anthropic(upstreams, upstream):
    want = EXPECTED[upstream]
    client = anthropic_client(upstreams.server)
    model = f"{upstream}/{want['model']}"
    prompt = f"anthropic sdk asks {upstream}"
    stop_reason = {"length": "max_tokens", "stop": "end_turn"}[want["finish"]]
    with client.messages.stream(model=model, max_tokens=100, messages=[{"role": "user", "content": prompt}]) as stream:
        events = list(stream)
        final = stream.get_final_message()
    check_upstream_asked(upstreams, upstream, prompt)
    thinking = "".join(e.thinking for e in events if e.type == "thinking")
    text = "".join(e.text for e in events if e.type == "text")
    check((thinking, text) == (want["reasoning"], want["text"]), (thinking, text))
    for message in [final, client.messages.create(model=model, max_tokens=100, messages=[{"role": "user", "content": prompt}])]:
        check([block.type for block in message.content] == ["thinking", "text"], message.content)
        check((message.content[0].thinking, message.content[0].signature, message.content[1].text)
              == (want["reasoning"], want["signature"], want["text"]), message.content)
        check(message.stop_reason == stop_reason, message.stop_reason)
        check((message.usage.input_tokens, message.usage.output_tokens) == (want["input"], want["output"]), message.usage)


def matrix_gemini(upstreams, upstream):
    want = EXPECTED[upstream]
    client = gemini_client(upstreams.server)
    model = f"{upstream}/{want['model']}"
    prompt = f"gemini sdk asks {upstream}"
    chunks = list(client.models.generate_content_stream(model=model, contents=prompt))
    check_upstream_asked(upstreams, upstream, prompt)
    whole = client.models.generate_content(model=model, contents=prompt)
    streamed_parts = [part for chunk in chunks for part in (chunk.candidates[0].content.parts or [])]
    for parts, last in [(streamed_parts, chunks[-1]), (whole.candidates[0].content.parts, whole)]:
        thoughts = "".join(p.text for p in parts if p.thought)
        text = "".join(p.text or "" for p in parts if not p.thought)
        check((thoughts, text) == (want["reasoning"], want["text"]), (thoughts, text))
        check(parts[0].thought and not parts[-1].thought, "the thoughts come before the text")
        check(last.candidates[0].finish_reason == {"length": "MAX_TOKENS", "stop": "STOP"}[want["finish"]], last)
        usage = last.usage_metadata
        check((usage.prompt_token_count, usage.candidates_token_count, usage.thoughts_token_count, usage.total_token_count)
              == (want["input"], want["output"] - (want["reasoning_tokens"] or 0), want["reasoning_tokens"], want["input"] + want["output"]), usage)
    check(whole.text == want["text"], "the text, without the thoughts")


def matrix_case(sdk, upstream):
    run = {"openai": matrix_openai, "anthropic": matrix_anthropic, "gemini": matrix_gemini}[sdk]

    def test(upstreams):
        run(upstreams, upstream)

    test.__name__ = f"test_matrix_{sdk}_sdk_over_{upstream}_upstream"
    return test


for _sdk in ["openai", "anthropic", "gemini"]:
    for _upstream in ["openai", "anthropic", "gemini"]:
        _test = matrix_case(_sdk, _upstream)
        globals()[_test.__name__] = _test


# ---- a public server: the access token as each SDK sends its key -------------------------

def x_api_key_client(server, key):
    """The Anthropic SDK sending its key as `x-api-key` only."""
    return anthropic.Anthropic(base_url=server.url, api_key=None, auth_token=None, default_headers={"X-Api-Key": key}, max_retries=0)


def test_public_server_takes_the_access_token_as_each_sdk_sends_it(binary):
    # Behind a trusted proxy the server is public (README "Deploying") though bound to loopback.
    server = Runnel(binary, "--trusted-proxy", "127.0.0.1", env={"RUNNEL_ACCESS_TOKEN": KEY})
    try:
        raises(openai.AuthenticationError, lambda: openai_client(server, "wrong-key-0123456789").models.list())
        check(openai_client(server, KEY).chat.completions.create(model="echo", messages=[{"role": "user", "content": "k"}])
              .choices[0].message.content == "k", "bearer")
        raises(anthropic.AuthenticationError, lambda: anthropic_client(server, "wrong-key-0123456789").messages.create(
            model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}]))
        with anthropic_client(server, KEY).messages.stream(model="echo", max_tokens=5, messages=[{"role": "user", "content": "x k"}]) as stream:
            check("".join(stream.text_stream) == "x k", "the Anthropic SDK's key")
        # This SDK version sends its key as a bearer token; Anthropic's API reference, and
        # other clients, send `x-api-key`.
        raises(anthropic.AuthenticationError, lambda: x_api_key_client(server, "wrong-key-0123456789").messages.create(
            model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}]))
        check(x_api_key_client(server, KEY).messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}])
              .content[0].text == "k", "x-api-key")
        error = raises(genai_errors.ClientError, lambda: gemini_client(server, "wrong-key-0123456789").models.generate_content(
            model="echo", contents="k"))
        check(error.code == 401 and error.status == "UNAUTHENTICATED", error)
        chunks = list(gemini_client(server, KEY).models.generate_content_stream(model="echo", contents="g k"))
        check("".join(c.text or "" for c in chunks) == "g k", "x-goog-api-key")
        # The keys open the provider endpoints only: the UI's API still wants the token its own way.
        import urllib.error, urllib.request
        request = urllib.request.Request(server.url + "/api/backends", headers={"x-api-key": KEY})
        error = raises(urllib.error.HTTPError, lambda: urllib.request.urlopen(request))
        check(error.code == 401, error)
    finally:
        server.stop()


def test_public_server_with_an_api_key_asks_for_that_key(binary):
    server = Runnel(binary, "--trusted-proxy", "127.0.0.1", "--api-key", KEY, env={"RUNNEL_ACCESS_TOKEN": "access-token-0123456789"})
    try:
        raises(anthropic.AuthenticationError, lambda: anthropic_client(server, "access-token-0123456789").messages.create(
            model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}]))
        check(anthropic_client(server, KEY).messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}])
              .content[0].text == "k", "the Anthropic SDK's key")
        check(x_api_key_client(server, KEY).messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "k"}])
              .content[0].text == "k", "x-api-key")
        check(gemini_client(server, KEY).models.generate_content(model="echo", contents="k").text == "k", "x-goog-api-key")
        raises(openai.AuthenticationError, lambda: openai_client(server, "access-token-0123456789").models.list())
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("-k", default="", help="run only the tests whose name contains this")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and args.k in name]
    server = Runnel(binary)
    upstreams = None  # started for the first matrix test
    failures = 0
    try:
        for name, fn in tests:
            started = time.monotonic()
            try:
                kind = fn.__code__.co_varnames[:1]
                if kind == ("upstreams",) and upstreams is None:
                    upstreams = Upstreams(binary)
                fn(binary) if kind == ("binary",) else fn(upstreams) if kind == ("upstreams",) else fn(server)
                print(f"ok   {name} ({time.monotonic() - started:.2f} s)")
            except Exception:
                failures += 1
                print(f"FAIL {name}\n{traceback.format_exc()}")
    finally:
        server.stop()
        if upstreams:
            upstreams.stop()
    print(f"{len(tests) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
