/// Routes requests by path, then by method: a known path with another method gets 405
/// with `Allow`; an unknown path goes to the fallback (static files, say) or 404.
/// `HEAD` is served by a `GET` route when it has none of its own (the server drops the body).
/// A path segment written `{name}` matches any one non-empty segment, handed to the
/// handler in `request.parameters`; exact paths are looked up first, in O(1).
///
/// ```swift
/// var router = Router()
/// router.add(.get, "/healthz") { _ in .text("ok\n") }
/// router.add(.post, "/api/echo", maxBodySize: 1 << 20) { request in Response(body: request.body) }
/// router.add(.get, "/api/items/{id}") { request in .text(request.parameters["id"]!) }
/// ```
public struct Router: HTTPHandler {
    public typealias Handler = @Sendable (Request) async throws -> Response

    private struct Route {
        let handler: Handler
        let maxBodySize: Int
    }

    private var routes: [String: [HTTPMethod: Route]] = [:]
    /// Paths with `{name}` segments, split, in the order added.
    private var patterns: [(segments: [Substring], methods: [HTTPMethod: Route])] = []
    /// Serves paths with no route (GET and HEAD only; other methods get 405).
    public var fallback: Handler?

    public init() {}

    public mutating func add(
        _ method: HTTPMethod, _ path: String,
        maxBodySize: Int = ServerConfiguration.defaultMaxBodySize, _ handler: @escaping Handler
    ) {
        let route = Route(handler: handler, maxBodySize: maxBodySize)
        guard path.contains("{") else {
            routes[path, default: [:]][method] = route
            return
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if let index = patterns.firstIndex(where: { $0.segments == segments }) {
            patterns[index].methods[method] = route
        } else {
            patterns.append((segments, [method: route]))
        }
    }

    /// The route's limit; with no route for this request, the default, so the answer is
    /// the 404 or 405 it deserves rather than a 413.
    public func maxBodySize(for head: RequestHead) -> Int {
        route(for: head)?.maxBodySize ?? ServerConfiguration.defaultMaxBodySize
    }

    public func handle(_ request: Request) async throws -> Response {
        var request = request
        let methods = self.methods(for: request.path, parameters: &request.parameters)
        if let route = Self.route(in: methods, for: request.method) { return try await route.handler(request) }
        if let methods {
            throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)", headers: ["Allow": Self.allow(methods.keys)])
        }
        guard let fallback else { throw HTTPError(.notFound, "no route for \(request.path)") }
        guard request.method == .get || request.method == .head else {
            throw HTTPError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path)", headers: ["Allow": "GET, HEAD"])
        }
        return try await fallback(request)
    }

    private func route(for head: RequestHead) -> Route? {
        var unused: [String: String] = [:]
        return Self.route(in: methods(for: head.path, parameters: &unused), for: head.method)
    }

    private static func route(in methods: [HTTPMethod: Route]?, for method: HTTPMethod) -> Route? {
        guard let methods else { return nil }
        return methods[method] ?? (method == .head ? methods[.get] : nil)
    }

    /// The routes of `path`: an exact one, else the first pattern it matches (whose
    /// segment values go to `parameters`).
    private func methods(for path: String, parameters: inout [String: String]) -> [HTTPMethod: Route]? {
        if let methods = routes[path] { return methods }
        guard !patterns.isEmpty else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for pattern in patterns where pattern.segments.count == segments.count {
            var values: [String: String] = [:]
            let matches = zip(pattern.segments, segments).allSatisfy { expected, actual in
                guard expected.hasPrefix("{") && expected.hasSuffix("}") else { return expected == actual }
                values[String(expected.dropFirst().dropLast())] = String(actual)
                return !actual.isEmpty
            }
            if matches {
                parameters = values
                return pattern.methods
            }
        }
        return nil
    }

    private static func allow(_ methods: Dictionary<HTTPMethod, Route>.Keys) -> String {
        var names = Set(methods.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        return names.sorted().joined(separator: ", ")
    }
}
