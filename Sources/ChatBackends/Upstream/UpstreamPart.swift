import Foundation

/// A piece of an upstream HTTP response, in arrival order: one head, then body reads.
enum UpstreamPart: Sendable, Equatable {
    /// The status and headers (names lowercased).
    case head(status: Int, headers: [String: String])
    /// The bytes of one network read.
    case body(Data)
}
