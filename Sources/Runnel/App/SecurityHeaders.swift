import HTTPServer

/// The headers that tell a browser what a response may do (README "Security defaults"): every response is
/// `nosniff`; every HTML page also gets a Content-Security-Policy and a Referrer-Policy.
enum SecurityHeaders {
    /// Only our own files run or style a page: no inline `<script>`, no `style="…"`, no
    /// event-handler attributes, no `eval`, nothing from another origin; so even markup
    /// that slipped past the UI's renderer could not execute. No site may frame the page
    /// (clickjacking). The hot-reload client is a file too (`/__runnel/client.js`).
    static let contentSecurityPolicy = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// Links in model replies lead elsewhere: the other site learns nothing of this one.
    static let referrerPolicy = "no-referrer"

    /// Adds the headers that apply to `response`, judged by its `Content-Type`.
    static func apply(to response: inout Response) {
        response.headers["X-Content-Type-Options"] = "nosniff"
        guard let type = response.headers["Content-Type"], type.hasPrefix("text/html") else { return }
        response.headers["Content-Security-Policy"] = contentSecurityPolicy
        response.headers["Referrer-Policy"] = referrerPolicy
    }
}
