/// One client connection's life (Hummingbird's `HTTPChannelHandler` loop): read a head,
/// read its body, call the handler, write the response, and again while kept alive.
/// A request that cannot be parsed is answered with its status and the connection is
/// closed, since nothing after it can be framed with confidence.
struct Connection {
    let io: ConnectionIO
    let configuration: ServerConfiguration
    let handler: any HTTPHandler
    let registry: ConnectionRegistry
    /// The numeric address of the client's end of the socket (``Request/peer``).
    let peer: String?

    private enum ReadFailure: Error {
        /// A request that was started but not finished in time: answer 408.
        case requestTimedOut
        /// Nothing arrived while idle, or the peer left: close silently.
        case idleClosed
    }

    func run() async {
        var buffer = ByteBuffer()
        var parser = RequestParser(limits: configuration.headLimits)
        var isFirstRequest = true
        defer { close() }
        while true {
            guard registry.setIdle(io.socket, buffer.isEmpty) else { return }
            let head: RequestHead
            do {
                head = try await readHead(&buffer, &parser, isFirstRequest: isFirstRequest)
            } catch let error as HTTPError {
                await sendError(error)
                return
            } catch ReadFailure.requestTimedOut {
                await sendError(HTTPError(.requestTimeout, "request head not received within \(configuration.headerReadTimeout)"))
                return
            } catch {
                return
            }
            isFirstRequest = false
            _ = registry.setIdle(io.socket, false)
            let started = ContinuousClock.now
            guard HTTPMethod.known.contains(head.method) else {
                await sendError(HTTPError(.notImplemented, "method \(head.method) is not implemented"))
                return
            }
            let body: [UInt8]
            do {
                body = try await readBody(of: head, &buffer, &parser)
            } catch let error as HTTPError {
                await sendError(error, head: head)
                return
            } catch ReadFailure.requestTimedOut {
                await sendError(HTTPError(.requestTimeout, "request body not received in time"), head: head)
                return
            } catch {
                return
            }
            let response = await respond(to: Request(head: head, body: body, executor: io.loop, peer: peer))
            let keepAlive = head.keepAlive && !registry.isShuttingDown
                && !response.headers.contains("Connection", token: "close")
            guard let bytes = await write(response, for: head, keepAlive: keepAlive) else { return }
            configuration.accessLog?(AccessLogEntry(
                method: head.method.rawValue, target: head.target, status: response.status.code,
                bytes: bytes, duration: ContinuousClock.now - started, peer: peer, fields: response.logFields?() ?? []))
            if !keepAlive { return }
        }
    }

    private func readHead(_ buffer: inout ByteBuffer, _ parser: inout RequestParser, isFirstRequest: Bool) async throws -> RequestHead {
        // The header clock starts at accept for a new connection, and at the first byte of
        // the next request on a kept-alive one; before that, the keep-alive timeout rules.
        var deadline: ContinuousClock.Instant? = isFirstRequest || !buffer.isEmpty
            ? .now + configuration.headerReadTimeout : nil
        while true {
            if case .head(let head)? = try parser.next(&buffer) { return head }
            // Checked after every read, not only when one has to wait: a client that keeps
            // sending (empty lines, a byte now and then) would otherwise never time out.
            if let deadline, ContinuousClock.now >= deadline { throw ReadFailure.requestTimedOut }
            do {
                try await io.fill(&buffer, deadline: deadline ?? .now + configuration.keepAliveTimeout)
            } catch SocketError.timedOut {
                throw deadline == nil ? ReadFailure.idleClosed : ReadFailure.requestTimedOut
            } catch SocketError.disconnected {
                throw ReadFailure.idleClosed
            }
            if deadline == nil {
                deadline = .now + configuration.headerReadTimeout
                _ = registry.setIdle(io.socket, false)
            }
        }
    }

    private func readBody(of head: RequestHead, _ buffer: inout ByteBuffer, _ parser: inout RequestParser) async throws -> [UInt8] {
        let limit = handler.maxBodySize(for: head)
        let framing = try RequestParser.framing(of: head)
        if case .length(let count) = framing, count > limit {
            throw HTTPError(.contentTooLarge, "request body of \(count) bytes exceeds the limit of \(limit) bytes")
        }
        parser.limitBody(to: limit)
        if framing != .none, head.version == .http1_1, head.headers["Expect"]?.equalsIgnoringCase("100-continue") == true {
            try await io.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        var body: [UInt8] = []
        let deadline = ContinuousClock.now + configuration.bodyTotalTimeout
        while true {
            switch try parser.next(&buffer) {
            case .body(let piece)?:
                body += piece
                if body.count > limit {
                    throw HTTPError(.contentTooLarge, "request body exceeds the limit of \(limit) bytes")
                }
            case .end?:
                return body
            case .head?:
                throw HTTPError.bad("unexpected request head")
            case nil:
                // A total deadline, checked after every read like the head's.
                if ContinuousClock.now >= deadline { throw ReadFailure.requestTimedOut }
                do {
                    try await io.fill(&buffer, deadline: min(deadline, .now + configuration.bodyReadTimeout))
                } catch SocketError.timedOut {
                    throw ReadFailure.requestTimedOut
                }
            }
        }
    }

    private func respond(to request: Request) async -> Response {
        do {
            return try await handler.handle(request)
        } catch let error as HTTPError {
            return handler.errorResponse(for: error, head: request.head)
        } catch {
            return handler.errorResponse(for: HTTPError(.internalServerError, "internal server error"), head: request.head)
        }
    }

    /// Writes `response`; the body bytes sent, or nil when the connection must close.
    private func write(_ response: Response, for head: RequestHead, keepAlive: Bool) async -> Int? {
        let bodyAllowed = ResponseHead.allowsBody(response.status)
        let sendsBody = bodyAllowed && head.method != .head
        do {
            switch response.body {
            case .bytes(let bytes):
                var wire = ResponseHead.encode(
                    status: response.status, headers: response.headers,
                    framing: bodyAllowed ? .length(bytes.count) : .none,
                    version: head.version, keepAlive: keepAlive, serverName: configuration.serverName,
                    reserving: sendsBody ? bytes.count : 0)
                if sendsBody { wire += bytes }
                try await io.write(wire)
                return sendsBody ? bytes.count : 0
            case .stream(let producer):
                let chunked = head.version == .http1_1
                // Registered before the head goes out, so a shutdown that begins meanwhile
                // still reaches this stream.
                let cancellation = StreamCancellation()
                registry.setStream(io.socket, cancellation)
                defer { registry.setStream(io.socket, nil) }
                do {
                    try await io.write(ResponseHead.encode(
                        status: response.status, headers: response.headers,
                        framing: sendsBody ? (chunked ? .chunked : .untilClose) : .none,
                        version: head.version, keepAlive: keepAlive && (chunked || !sendsBody),
                        serverName: configuration.serverName))
                } catch {
                    try? await producer(ClosedBodyWriter())
                    throw error
                }
                guard sendsBody else {
                    try? await producer(ClosedBodyWriter())
                    return 0
                }
                let writer = StreamWriter(io: io, chunked: chunked, registry: registry)
                try await stream(producer, to: writer, cancellation: cancellation)
                try await writer.finish()
                return chunked ? writer.bytesSent : nil
            }
        } catch {
            return nil
        }
    }

    /// Runs the producer on this connection's own task (a task of its own would cost
    /// memory per stream), cancelled the moment the client hangs up (or when a
    /// shutdown's grace period ends), so a silent backend stops at once. The cancelled
    /// connection closes after the stream: its client is gone, or the server is stopping.
    private func stream(
        _ producer: @escaping ResponseBody.Producer, to writer: StreamWriter, cancellation: StreamCancellation
    ) async throws {
        io.loop.onHangUp(io.socket) { cancellation.cancel() }
        defer { io.loop.onHangUp(io.socket, nil) }
        try await cancellation.run { try await producer(writer) }
    }

    /// Answers an error the server raised itself (the handler shapes it), then closes.
    private func sendError(_ error: HTTPError, head: RequestHead? = nil) async {
        let response = handler.errorResponse(for: error, head: head)
        var body: [UInt8] = []
        if case .bytes(let bytes) = response.body { body = bytes }
        let wire = ResponseHead.encode(
            status: response.status, headers: response.headers, framing: .length(body.count), version: .http1_1,
            keepAlive: false, serverName: configuration.serverName) + body
        do {
            try await io.write(wire)
        } catch {
            return  // the client left before hearing why: nothing more to do
        }
        configuration.accessLog?(AccessLogEntry(
            method: head?.method.rawValue ?? "-", target: head?.target ?? "-", status: response.status.code, bytes: body.count,
            duration: .zero, peer: peer, fields: response.logFields?() ?? []))
        await lingerBeforeClose()
    }

    /// Half-closes, then discards what the client still sends for a moment: closing with
    /// unread bytes would send a reset that can destroy the error response in flight.
    private func lingerBeforeClose() async {
        io.socket.shutdownWrite()
        var discard = ByteBuffer()
        let deadline = ContinuousClock.now + Self.lingerTime
        while discard.readableCount < Self.lingerMaxBytes {
            do { try await io.fill(&discard, deadline: deadline) } catch { return }
        }
    }

    /// How long and how much a closing connection drains after an error response.
    static let lingerTime: Duration = .seconds(1)
    static let lingerMaxBytes = 1 << 20

    private func close() {
        io.loop.deregister(io.socket)
        registry.remove(io.socket)
        if io.hasStalled { io.socket.closeWithReset() } else { io.socket.close() }
    }
}
