/// A value for a `{{name}}` placeholder, saying how it is made safe for where it lands.
enum TemplateValue: Sendable, Equatable {
    /// Text for HTML content or a quoted attribute: `& < > " '` become entities.
    case text(String)
    /// JSON text for inside a `<script>` element. It is inserted as it is, except that `<`,
    /// `>`, `&`, U+2028 and U+2029 become `\u` escapes, which JSON and JavaScript read back
    /// unchanged and which cannot close the script (`</script>`), open a comment (`<!--`) or
    /// end a JavaScript line. The caller passes valid JSON: it is not checked.
    case json(String)
    /// Trusted HTML inserted as it is (the hot-reload script tag). Never user input.
    case html(String)

    /// The value as it appears in the rendered page.
    var rendered: String {
        switch self {
        case .text(let text): Self.escapingHTML(text)
        case .json(let json): Self.escapingForScript(json)
        case .html(let html): html
        }
    }

    static func escapingHTML(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    static func escapingForScript(_ json: String) -> String {
        var output = ""
        output.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": output += "\\u003c"
            case ">": output += "\\u003e"
            case "&": output += "\\u0026"
            case "\u{2028}": output += "\\u2028"
            case "\u{2029}": output += "\\u2029"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
