/// A request the server refuses to parse: answered with `status`, then the connection is
/// closed, since the framing of whatever follows can no longer be trusted.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let message: String

    init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    static func bad(_ message: String) -> HTTPParseError { HTTPParseError(.badRequest, message) }

    public var description: String { "\(status.code) \(message)" }
}
