import HTTPServer

/// README "Security defaults" in front of every route: a loopback server answers only requests addressed
/// to a loopback name (so a DNS-rebinding page cannot reach it), and the API refuses
/// foreign origins unless `--cors` allows them (so no web page can spend the user's key);
/// so does the hot-reload stream (so no web page can follow the user's saves). On a
/// public server (README "Deploying") it also asks for the access token and keeps each
/// client to its request rate; every answer carries the request's id (`X-Request-Id`),
/// and the access log learns the id and the client.
struct SecurityPolicy: HTTPHandler {
    let next: Router
    /// Where every error, the routes' and the server's, becomes a response.
    let errors: ErrorResponses
    /// Host names accepted besides the loopback ones (`--allowed-host`).
    let allowedHosts: Set<String>
    /// Origins allowed to call the API cross-site (`--cors`).
    let corsOrigins: Set<String>
    /// Whether the server is bound to loopback, where the Host check applies.
    let checksHost: Bool
    /// The access token, when one is asked.
    var gate = AccessGate(token: nil)
    /// Peers whose `X-Forwarded-For` and `X-Request-Id` are believed (`--trusted-proxy`).
    var trustedProxies: [CIDR] = []
    /// The request rate of `POST /api/*` per client.
    var limits = ClientLimits(settings: ClientLimitSettings(), isPublic: false)

    func maxBodySize(for head: RequestHead) -> Int { next.maxBodySize(for: head) }

    func handle(_ request: Request) async throws -> Response {
        let identity = ClientIdentity.of(request, trustedProxies: trustedProxies)
        var request = request
        request.client = identity.client
        var response: Response
        do {
            response = try await guarded(request, identity)
        } catch let error as HTTPError {
            response = errors.response(for: error, path: request.path)
        }
        SecurityHeaders.apply(to: &response)
        response.headers["X-Request-Id"] = identity.requestID
        let routeFields = response.logFields
        response.logFields = {
            [("request_id", identity.requestID), ("client", identity.client)] + (routeFields?() ?? [])
        }
        return response
    }

    /// The server's own errors (a malformed request, a timeout…) take the same place.
    func errorResponse(for error: HTTPError, head: RequestHead?) -> Response {
        errors.response(for: error, path: head?.path)
    }

    private func guarded(_ request: Request, _ identity: ClientIdentity) async throws -> Response {
        try checkHost(request.headers["Host"])
        let origin = request.headers["Origin"]
        let isAPI = ErrorResponses.isAPI(request.path)
        if isAPI, request.method == .options {
            guard let origin, corsOrigins.contains(origin) else { throw HTTPError.forbiddenOrigin(origin ?? "(none)") }
            return Response(status: .noContent, headers: corsHeaders(origin) + [
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
                ("Access-Control-Max-Age", "600"),
            ])
        }
        // After the preflight, which carries no credentials and gives nothing away.
        let secure = identity.viaProxy && request.headers["X-Forwarded-Proto"]?.lowercased() == "https"
        if let login = try gate.check(request, secure: secure) { return login }
        // What a foreign page could abuse: spending the key (POST /api/*) or listening to
        // the developer's saves (the hot-reload stream, which an EventSource opens cross-site).
        let checksOrigin = isAPI ? request.method == .post : request.path == ReloadClient.eventsPath
        if checksOrigin, let origin, !isSameOrigin(origin, host: request.headers["Host"]), !corsOrigins.contains(origin) {
            guard isAPI else { throw HTTPError(.forbidden, "requests from origin \(origin) may not open the hot-reload stream; start runnel with --cors \(origin) to allow it") }
            throw HTTPError.forbiddenOrigin(origin)
        }
        if isAPI, request.method == .post { try limits.admitRequest(from: identity.client) }
        var response = try await next.handle(request)
        if isAPI, let origin, corsOrigins.contains(origin) {
            for (name, value) in corsHeaders(origin) { response.headers[name] = value }
        }
        return response
    }

    private func corsHeaders(_ origin: String) -> HTTPHeaders {
        ["Access-Control-Allow-Origin": origin, "Vary": "Origin"]
    }

    /// RFC 9112 §3.2: an invalid Host is 400 wherever the server listens; on a loopback
    /// bind a missing one, or one naming another machine, is 403 with the flag that allows it.
    private func checkHost(_ header: String?) throws(HTTPError) {
        guard let header else {
            if checksHost { throw HTTPError(.forbidden, "a Host header is required") }
            return
        }
        guard let authority = HostAuthority(header) else {
            throw HTTPError(.badRequest, "malformed Host header: expected a name, an IPv4 address or a bracketed IPv6 address, then optionally ':' and digits (e.g. localhost:8080, [::1]:8080)")
        }
        guard checksHost, !authority.isLoopback else { return }
        let name = authority.host.lowercased()
        guard !name.isEmpty else {
            throw HTTPError(.forbidden, "an empty Host is not allowed; address this server as localhost or 127.0.0.1")
        }
        guard allowedHosts.contains(name) else {
            throw HTTPError(.forbidden, "host '\(name)' is not allowed; start runnel with --allowed-host \(Self.shellWord(name)) to accept it")
        }
    }

    /// Whether a bind address is loopback, where the Host check applies.
    static func isLoopbackBind(_ address: String) -> Bool {
        let bareIPv6 = address.contains(":") && !address.hasPrefix("[")
        return HostAuthority(bareIPv6 ? "[\(address)]" : address)?.isLoopback ?? false
    }

    /// `word` as one shell word: quoted when it holds anything a shell would act on (an
    /// IPv6 literal's brackets are a glob; a reg-name may hold `$`, `;`, `'`…).
    static func shellWord(_ word: String) -> String {
        let plain = word.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || "-._:".utf8.contains(byte)
        }
        return plain ? word : "'" + word.replacing("'", with: #"'\''"#) + "'"
    }

    private func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}

extension HTTPHeaders {
    static func + (lhs: HTTPHeaders, rhs: [(String, String)]) -> HTTPHeaders {
        var result = lhs
        for (name, value) in rhs { result.add(name, value) }
        return result
    }
}
