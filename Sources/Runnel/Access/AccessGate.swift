import Foundation
import HTTPServer

/// The access token in front of the UI and the API on a public server (README
/// "Deploying"). A browser logs in once with `/?token=…`: the answer sets an HttpOnly,
/// SameSite=Strict cookie and redirects to the same address without the token (so it
/// leaves the address bar and the history); a program sends `Authorization: Bearer …`,
/// and an SDK on the provider endpoints sends it as its API key (README "SDKs").
/// Anything else is 401: JSON on the API, a small login page elsewhere.
struct AccessGate: Sendable {
    static let cookieName = "runnel_token"
    static let queryName = "token"
    /// Paths open to all: a load balancer's health check has no token.
    static let openPaths: Set<String> = ["/healthz"]
    /// How long the login cookie lasts.
    static let cookieLifetimeSeconds = 30 * 24 * 3600

    /// Nil: no token asked (a loopback server without `--access-token`).
    let token: AccessToken?
    /// Whether the provider endpoints have a key of their own (`--api-key`): then they
    /// check it, the way each SDK sends it, instead of the access token.
    var providerKeyed = false

    /// Nil when the request may go on; the redirect that completes a login otherwise.
    /// Throws 401 when it carries no valid token. `secure`: the client reached us over
    /// HTTPS (a trusted proxy said so), so the cookie may only travel over HTTPS.
    func check(_ request: Request, secure: Bool) throws(HTTPError) -> Response? {
        guard let token, !Self.openPaths.contains(request.path) else { return nil }
        if ProviderFormat(path: request.path) != nil {
            if providerKeyed { return nil }
            // The provider endpoints take the token the way each SDK sends its key.
            let given = ProviderKey.given(in: request)
            if !given.isEmpty {
                guard given.contains(where: { token.matches($0) }) else {
                    throw .unauthorized("the key sent is not this server's access token (send it as 'Authorization: Bearer …', 'x-api-key' or 'x-goog-api-key')")
                }
                return nil
            }
        }
        if let query = request.head.query, let given = Self.tokenParameter(in: query) {
            guard token.matches(given) else { throw .unauthorized("the token in the address is not this server's") }
            guard request.method == .get || request.method == .head else { return nil }
            var cookie = "\(Self.cookieName)=\(token.value); Path=/; Max-Age=\(Self.cookieLifetimeSeconds); HttpOnly; SameSite=Strict"
            if secure { cookie += "; Secure" }
            return Response(status: .seeOther, headers: [
                "Location": Self.rewritingToken(in: request.head.target, as: nil), "Set-Cookie": cookie, "Cache-Control": "no-store",
            ])
        }
        if let authorization = request.headers["Authorization"] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", token.matches(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw .unauthorized("the Authorization header holds no valid token; send 'Authorization: Bearer <token>'")
            }
            return nil
        }
        if let cookie = Self.cookie(Self.cookieName, in: request.headers.values("Cookie")), token.matches(cookie) {
            return nil
        }
        throw .unauthorized("this server needs its access token: open the login URL it printed at start, or send 'Authorization: Bearer <token>'")
    }

    /// The value of `token=` in a query, if any.
    static func tokenParameter(in query: Substring) -> Substring? {
        for pair in query.split(separator: "&") where pair.hasPrefix(queryName + "=") {
            return pair.dropFirst(queryName.count + 1)
        }
        return nil
    }

    /// `target` with the value of its `token=` parameters replaced by `replacement` (the
    /// access log), or with those parameters removed when it is nil (the clean address a
    /// login redirects to; no `?` is left empty).
    static func rewritingToken(in target: String, as replacement: String?) -> String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        let kept = target[target.index(after: mark)...].split(separator: "&").compactMap { pair -> Substring? in
            guard pair.hasPrefix(queryName + "=") || pair == Substring(queryName) else { return pair }
            return replacement.map { Substring(queryName + "=" + $0) }
        }
        let path = String(target[..<mark])
        return kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
    }

    /// The value of cookie `name` in `Cookie` headers (`a=1; b=2`); pairs without `=` are skipped.
    static func cookie(_ name: String, in headers: [String]) -> Substring? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == Substring(name) else { continue }
                return trimmed[trimmed.index(after: equals)...]
            }
        }
        return nil
    }
}

extension HTTPError {
    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, message, code: "unauthorized", headers: ["WWW-Authenticate": #"Bearer realm="runnel""#])
    }
}
