#!/usr/bin/env python3
"""The provider endpoints tested with the providers' own Python SDKs as clients
(README "SDKs"): openai, anthropic and google-genai, installed by `make deps-test`.

Starts the built binary on port 0 (as Tests/Browser/run.py does), points each SDK at it
and checks streaming and whole replies, usage, reasoning (the mock's /think), errors as
each SDK's own exception classes, and a client breaking off mid-stream. A small fake
upstream (Python's http.server) stands in for a provider to check an upstream 429 and a
Gemini-format upstream's thoughts read through the Anthropic SDK.

    .build/venv/bin/python Tests/SDK/run.py --binary .build/debug/runnel [-k name]
"""
import argparse
import http.server
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import traceback

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


class FakeProvider:
    """Answers every POST with a rate limit, except Gemini streams, which get thoughts."""

    GEMINI = [
        {"candidates": [{"content": {"parts": [{"text": "Weighing the options.", "thought": True}], "role": "model"}, "index": 0}],
         "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 20, "thoughtsTokenCount": 16}, "modelVersion": "gemini-2.5-flash"},
        {"candidates": [{"content": {"parts": [{"text": "Pick B."}], "role": "model"}, "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 23, "thoughtsTokenCount": 16},
         "modelVersion": "gemini-2.5-flash"},
    ]

    def __init__(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if ":streamGenerateContent" in self.path:
                    body = "".join(f"data: {json.dumps(event)}\r\n\r\n" for event in fake.GEMINI).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                else:
                    body = json.dumps({"error": {"message": "Rate limit reached for requests", "type": "requests",
                                                 "code": "rate_limit_exceeded"}}).encode()
                    self.send_response(429)
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
    fake = FakeProvider()
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


def test_anthropic_sdk_reads_a_gemini_upstreams_thoughts(binary):
    fake = FakeProvider()
    server = Runnel(binary, "--backend", "gemini", "--base-url", fake.url, env={"GEMINI_API_KEY": "fake"})
    try:
        with anthropic_client(server).messages.stream(model="gemini", max_tokens=100,
                                                      messages=[{"role": "user", "content": "A or B?"}]) as stream:
            final = stream.get_final_message()
        check([block.type for block in final.content] == ["thinking", "text"], final.content)
        check(final.content[0].thinking == "Weighing the options." and final.content[1].text == "Pick B.", final.content)
        check(final.usage.input_tokens == 4 and final.usage.output_tokens == 3, final.usage)
    finally:
        server.stop()
        fake.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("-k", default="", help="run only the tests whose name contains this")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and args.k in name]
    server = Runnel(binary)
    failures = 0
    try:
        for name, fn in tests:
            started = time.monotonic()
            try:
                fn(binary) if "binary" in fn.__code__.co_varnames[:1] else fn(server)
                print(f"ok   {name} ({time.monotonic() - started:.2f} s)")
            except Exception:
                failures += 1
                print(f"FAIL {name}\n{traceback.format_exc()}")
    finally:
        server.stop()
    print(f"{len(tests) - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
