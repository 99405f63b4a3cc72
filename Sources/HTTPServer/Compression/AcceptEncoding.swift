/// Reading the `Accept-Encoding` request header (RFC 9110 §12.5.3).
public enum AcceptEncoding {
    /// Whether a response may be sent gzip-encoded to a client that sent `header`.
    ///
    /// An explicit `gzip` (or `x-gzip`) entry decides; otherwise `*` does; a weight of 0
    /// means "not acceptable". No header, or one naming only other codings, gets the
    /// identity encoding: a client that did not ask for gzip may not decode it.
    ///
    /// ```swift
    /// AcceptEncoding.allowsGzip("gzip, deflate, br")   // true
    /// AcceptEncoding.allowsGzip("gzip;q=0, *")         // false
    /// AcceptEncoding.allowsGzip("*;q=0.5")             // true
    /// ```
    public static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzipWeight: Int?
        var wildcardWeight: Int?
        for entry in header.split(separator: ",") {
            let parts = entry.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingWhitespace().lowercased()
            // An entry with a malformed weight is ignored rather than trusted.
            guard let weight = weight(of: parts.dropFirst()) else { continue }
            switch coding {
            case "gzip", "x-gzip": gzipWeight = max(gzipWeight ?? 0, weight)
            case "*": wildcardWeight = max(wildcardWeight ?? 0, weight)
            default: continue
            }
        }
        if let gzipWeight { return gzipWeight > 0 }
        if let wildcardWeight { return wildcardWeight > 0 }
        return false
    }

    /// The `q` parameter in thousandths (1000 when absent), or nil when it is malformed.
    static func weight(of parameters: ArraySlice<Substring>) -> Int? {
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0].trimmingWhitespace().lowercased() == "q" else { continue }
            return qvalue(pair[1].trimmingWhitespace())
        }
        return 1000
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
    static func qvalue(_ text: Substring) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, whole == "0" || whole == "1" else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 3, fraction.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        let thousandths = Int(fraction.padding(toLength3: "0")) ?? 0
        if whole == "1" { return thousandths == 0 ? 1000 : nil }
        return thousandths
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }

    fileprivate func padding(toLength3 pad: Character) -> String {
        String(self) + String(repeating: pad, count: 3 - count)
    }
}
