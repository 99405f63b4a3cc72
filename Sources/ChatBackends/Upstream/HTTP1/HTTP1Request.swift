import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `URLRequest` with its body as the bytes of one HTTP/1.1 request, and where to send it.
///
/// The head carries `Host` and `Content-Length` (set here, whatever the request says) and
/// the request's own fields; the connection stays open by HTTP/1.1's default. Field
/// names and values are checked for CR, LF and NUL, so no value can smuggle a header in.
struct HTTP1Request {
    /// Where to connect: the URL's host (brackets of an IPv6 literal removed) and port.
    let host: String
    let port: Int
    let isHead: Bool
    /// The head and the body, ready for one `send`.
    let bytes: [UInt8]

    /// Fields this type sets itself; the request's own values for them are ignored.
    private static let managedFields: Set<String> = ["host", "content-length", "transfer-encoding", "connection"]

    init(_ request: URLRequest, body: Data) throws(UpstreamFailure.TransportProblem) {
        guard let url = request.url, url.scheme?.lowercased() == "http",
              let components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              var host = components.host, !host.isEmpty else { throw .unusableURL }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? 80
        let method = request.httpMethod ?? "GET"
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        let authority = (host.contains(":") ? "[\(host)]" : host) + (components.port.map { ":\($0)" } ?? "")

        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(authority)\r\n"
        for (name, value) in (request.allHTTPHeaderFields ?? [:]).sorted(by: { $0.key < $1.key })
        where !Self.managedFields.contains(name.lowercased()) {
            guard Self.isSafe(name), !name.isEmpty, !name.contains(":"), Self.isSafe(value) else { throw .unusableURL }
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || method != "GET" && method != "HEAD" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        guard Self.isSafe(method), Self.isSafe(target) else { throw .unusableURL }

        self.host = host
        self.port = port
        self.isHead = method == "HEAD"
        bytes = Array(head.utf8) + body
    }

    private static func isSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }
}
