/// The media type of a static file, from its extension.
enum ContentType {
    /// The `Content-Type` for `path`; text types carry `; charset=utf-8`, unknown extensions
    /// are `application/octet-stream` (with the `X-Content-Type-Options: nosniff` every response carries, never guessed as HTML).
    static func of(path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        return types[name[name.index(after: dot)...].lowercased()] ?? fallback
    }

    /// Whether gzip is worth it for `contentType`: text, JSON, SVG, source maps, WebAssembly
    /// and icons shrink; PNG, JPEG, WebP and WOFF2 are compressed already.
    static func isCompressible(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map(String.init) ?? contentType
        return type.hasPrefix("text/") || compressible.contains(type)
    }

    private static let fallback = "application/octet-stream"

    private static let types: [String: String] = [
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "json": "application/json; charset=utf-8",
        "map": "application/json; charset=utf-8",
        "svg": "image/svg+xml; charset=utf-8",
        "txt": "text/plain; charset=utf-8",
        "md": "text/markdown; charset=utf-8",
        "xml": "application/xml; charset=utf-8",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "ico": "image/x-icon",
        "woff2": "font/woff2",
        "woff": "font/woff",
        "wasm": "application/wasm",
    ]

    private static let compressible: Set<String> = [
        "application/json", "application/xml", "image/svg+xml", "application/wasm", "image/x-icon",
    ]
}
