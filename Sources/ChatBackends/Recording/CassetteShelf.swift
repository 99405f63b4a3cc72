import Foundation

/// A folder of cassettes (README "Record and replay"): `--record DIR` writes one file per
/// exchange, `--replay DIR` reads them all.
///
/// Files are named so a person finds one by when and what was asked:
/// `20250601-120000-123-explain-server-sent-events-in-three.json`.
public struct CassetteShelf: Sendable {
    /// Words of the message a file name repeats.
    public static let nameWords = 6
    /// The most characters of the message a file name repeats.
    public static let maxNameSlug = 48
    /// Files larger than this are skipped when reading a folder (a cassette is bounded by
    /// `ExchangeTrace.defaultMaxRawBytes` of raw frames, plus their events).
    public static let maxFileBytes = 64 << 20

    /// The folder (made when the first cassette is saved).
    public let directory: URL

    /// A shelf over `directory`.
    public init(directory: URL) {
        self.directory = directory
    }

    /// A cassette read from a file, with the file's name (which error messages cite).
    public struct Stored: Sendable {
        /// The file name, without the folder.
        public var name: String
        /// What the file holds.
        public var cassette: Cassette
    }

    /// Writes `cassette` to a new file and returns its URL.
    @discardableResult
    public func save(_ cassette: Cassette, at date: Date = Date()) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stem = Self.fileStem(date: date, message: cassette.lastUserMessage)
        let data = try cassette.encoded()
        var attempt = 1
        while true {
            let name = attempt == 1 ? "\(stem).json" : "\(stem)-\(attempt).json"
            let url = directory.appendingPathComponent(name)
            // `withoutOverwriting`: two replies in the same millisecond never share a file.
            do {
                try data.write(to: url, options: .withoutOverwriting)
                return url
            } catch CocoaError.fileWriteFileExists where attempt < 100 {
                attempt += 1
            }
        }
    }

    /// Every cassette in the folder, oldest name first, and the files that could not be
    /// read with why (a folder that does not exist holds none).
    public func load() -> (cassettes: [Stored], problems: [String]) {
        var cassettes: [Stored] = []
        var problems: [String] = []
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch CocoaError.fileReadNoSuchFile {
            return ([], [])  // nothing recorded yet
        } catch {
            return ([], ["\(directory.path): \(error)"])
        }
        for name in names.sorted() where name.hasSuffix(".json") {
            let url = directory.appendingPathComponent(name)
            do {
                let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
                guard size <= Self.maxFileBytes else {
                    problems.append("\(name): larger than \(Self.maxFileBytes) bytes")
                    continue
                }
                let cassette = try Cassette.decode(Data(contentsOf: url))
                guard cassette.format == Cassette.currentFormat else {
                    problems.append("\(name): format '\(cassette.format)', expected '\(Cassette.currentFormat)'")
                    continue
                }
                cassettes.append(Stored(name: name, cassette: cassette))
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        return (cassettes, problems)
    }

    /// `yyyyMMdd-HHmmss-SSS-` (UTC) and the first words of `message`, slugged.
    static func fileStem(date: Date, message: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss-SSS"
        let slug = slug(message)
        return formatter.string(from: date) + (slug.isEmpty ? "" : "-" + slug)
    }

    /// The first ``nameWords`` words of `text`, lowercased, ASCII letters and digits only,
    /// joined by `-`, at most ``maxNameSlug`` characters.
    static func slug(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        let words = folded.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.prefix(nameWords)
        var slug = words.joined(separator: "-")
        if slug.count > maxNameSlug {
            slug = String(slug.prefix(maxNameSlug))
            while slug.hasSuffix("-") { slug.removeLast() }
        }
        return slug
    }
}
