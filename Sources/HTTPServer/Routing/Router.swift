/// Routes requests by exact path, then by method: a known path with another method gets
/// 405 with `Allow`; an unknown path goes to the fallback (static files, say) or 404.
/// `HEAD` is served by a `GET` route when it has none of its own (the server drops the body).
///
/// ```swift
/// var router = Router()
/// router.add(.get, "/healthz") { _ in .text("ok\n") }
/// router.add(.post, "/api/echo", maxBodySize: 1 << 20) { request in Response(body: request.body) }
/// ```
public struct Router: HTTPHandler {
    public typealias Handler = @Sendable (Request) async throws -> Response

    private struct Route {
        let handler: Handler
        let maxBodySize: Int
    }

    private var routes: [String: [HTTPMethod: Route]] = [:]
    /// Serves paths with no route (GET and HEAD only; other methods get 405).
    public var fallback: Handler?

    public init() {}

    public mutating func add(
        _ method: HTTPMethod, _ path: String,
        maxBodySize: Int = ServerConfiguration.defaultMaxBodySize, _ handler: @escaping Handler
    ) {
        routes[path, default: [:]][method] = Route(handler: handler, maxBodySize: maxBodySize)
    }

    /// The route's limit; with no route for this request, the default, so the answer is
    /// the 404 or 405 it deserves rather than a 413.
    public func maxBodySize(for head: RequestHead) -> Int {
        route(for: head)?.maxBodySize ?? ServerConfiguration.defaultMaxBodySize
    }

    public func handle(_ request: Request) async throws -> Response {
        if let route = route(for: request.head) { return try await route.handler(request) }
        if let methods = routes[request.path] {
            throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)", headers: ["Allow": Self.allow(methods.keys)])
        }
        guard let fallback else { throw HTTPError(.notFound, "no route for \(request.path)") }
        guard request.method == .get || request.method == .head else {
            throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)", headers: ["Allow": "GET, HEAD"])
        }
        return try await fallback(request)
    }

    private func route(for head: RequestHead) -> Route? {
        guard let methods = routes[head.path] else { return nil }
        return methods[head.method] ?? (head.method == .head ? methods[.get] : nil)
    }

    private static func allow(_ methods: Dictionary<HTTPMethod, Route>.Keys) -> String {
        var names = Set(methods.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        return names.sorted().joined(separator: ", ")
    }
}
