import Foundation
import HTTPServer

/// Answers `GET`/`HEAD` for a file of `Frontend/` (README "Modes"): the gzip variant when the
/// client accepts it, a strong ETag per variant, 304 on a matching `If-None-Match`.
struct StaticFiles: Sendable {
    let store: AssetStore
    /// `Cache-Control` on every file: revalidate each time, so a saved file shows at once
    /// and an unchanged one costs a 304.
    static let cacheControl = "no-cache"

    /// The response for `request`, or nil when no file is there (the caller shows 404).
    func response(for request: Request) throws -> Response? {
        let relative: String
        switch SafePath.relativePath(fromURLPath: String(request.head.target)) {
        case .success(let path): relative = path
        case .failure(.badRequest): throw HTTPError(.badRequest, "malformed path")
        case .failure(.notFound): return nil
        }
        guard !relative.isEmpty, let asset = store.asset(at: relative) else { return nil }
        return Self.serve(asset, for: request)
    }

    /// Serves `asset`, negotiating encoding and validating the client's cached copy.
    static func serve(_ asset: Asset, for request: Request, cacheControl: String = cacheControl) -> Response {
        let gzipped = asset.gzipped.flatMap { AcceptEncoding.allowsGzip(request.headers["Accept-Encoding"]) ? $0 : nil }
        let etag = gzipped == nil ? asset.etag : asset.gzipETag
        var headers: HTTPHeaders = [
            "Content-Type": asset.contentType,
            "ETag": etag,
            "Cache-Control": cacheControl,
        ]
        if asset.gzipped != nil { headers["Vary"] = "Accept-Encoding" }
        if let match = request.headers["If-None-Match"], Self.matches(match, etag) {
            return Response(status: .notModified, headers: headers)
        }
        if gzipped != nil { headers["Content-Encoding"] = "gzip" }
        return Response(status: .ok, headers: headers, body: gzipped ?? asset.bytes)
    }

    /// RFC 9110 §13.1.2: `*`, or any listed tag equal to ours (weak prefix ignored).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
