import HTTPServer

/// DESIGN §8 in front of every route: a loopback server answers only requests addressed
/// to a loopback name (so a DNS-rebinding page cannot reach it), and the API refuses
/// foreign origins unless `--cors` allows them (so no web page can spend the user's key).
struct SecurityPolicy: HTTPHandler {
    let next: Router
    /// Host names accepted besides the loopback ones (`--allowed-host`).
    let allowedHosts: Set<String>
    /// Origins allowed to call the API cross-site (`--cors`).
    let corsOrigins: Set<String>
    /// Whether the server is bound to loopback, where the Host check applies.
    let checksHost: Bool

    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]

    func maxBodySize(for head: RequestHead) -> Int { next.maxBodySize(for: head) }

    func handle(_ request: Request) async throws -> Response {
        var response: Response
        do {
            response = try await guarded(request)
        } catch let error as HTTPError {
            response = Self.response(for: error, path: request.path)
        }
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    }

    /// Errors the server answers before a handler runs (413, 408), shaped like the rest:
    /// JSON on the API (DESIGN §4).
    func errorResponse(status: HTTPStatus, message: String, for head: RequestHead) -> Response? {
        var response = Self.response(for: HTTPError(status, message), path: head.path)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    }

    private static func response(for error: HTTPError, path: String) -> Response {
        var response = path.hasPrefix("/api/")
            ? APIError(status: error.status, code: APIError.code(for: error.status), message: error.message).response
            : Response.text(error.message + "\n", status: error.status)
        for field in error.headers { response.headers[field.name] = field.value }
        return response
    }

    private func guarded(_ request: Request) async throws -> Response {
        if checksHost {
            guard let host = request.headers["Host"] else {
                throw HTTPError(.forbidden, "a Host header is required")
            }
            guard isAllowed(host: host) else {
                throw HTTPError(.forbidden, "host '\(host)' is not allowed; start runnel with --allowed-host \(Self.hostName(host)) to accept it")
            }
        }
        let origin = request.headers["Origin"]
        let isAPI = request.path.hasPrefix("/api/")
        if isAPI, request.method == .options {
            guard let origin, corsOrigins.contains(origin) else {
                return APIError.forbiddenOrigin(origin ?? "(none)").response
            }
            return Response(status: .noContent, headers: corsHeaders(origin) + [
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type"),
                ("Access-Control-Max-Age", "600"),
            ])
        }
        if isAPI, request.method == .post, let origin, !isSameOrigin(origin, host: request.headers["Host"]), !corsOrigins.contains(origin) {
            return APIError.forbiddenOrigin(origin).response
        }
        var response = try await next.handle(request)
        if isAPI, let origin, corsOrigins.contains(origin) {
            for (name, value) in corsHeaders(origin) { response.headers[name] = value }
        }
        return response
    }

    private func corsHeaders(_ origin: String) -> HTTPHeaders {
        ["Access-Control-Allow-Origin": origin, "Vary": "Origin"]
    }

    private func isAllowed(host: String) -> Bool {
        let exact = Self.hostName(host)
        if Self.loopbackNames.contains(exact) { return true }  // the usual case, without lowercasing
        let name = exact.lowercased()
        return Self.loopbackNames.contains(name) || name.hasSuffix(".localhost") || Self.isLoopbackIPv4(name)
            || allowedHosts.contains(name)
    }

    /// A numeric IPv4 address in 127.0.0.0/8; a name such as `127.evil.example` is not one.
    static func isLoopbackIPv4(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127"
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }

    private func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// The name part of a Host header: without the port, IPv6 brackets kept.
    static func hostName(_ host: String) -> String {
        let bytes = host.utf8
        if bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
            return String(host[...close])
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return host }
        return String(host[..<colon])
    }
}

extension HTTPHeaders {
    static func + (lhs: HTTPHeaders, rhs: [(String, String)]) -> HTTPHeaders {
        var result = lhs
        for (name, value) in rhs { result.add(name, value) }
        return result
    }
}
