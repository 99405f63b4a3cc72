import Foundation
import XCTest
@testable import Runnel

/// The build plugin embeds exactly what is on disk: a stale or missing file fails here.
final class EmbeddedAssetsTests: XCTestCase {
    private let package = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryFileOnDiskIsEmbeddedWithIdenticalBytes() throws {
        let onDisk = try filesOnDisk(in: ["Frontend", "Templates"])
        XCTAssertFalse(onDisk.isEmpty, "nothing to compare: no Frontend/ or Templates/ at \(package.path)")
        let embedded = EmbeddedAssets.decoded()
        XCTAssertEqual(Set(embedded.keys), Set(onDisk.keys), "rebuild, or the plugin misses or keeps stale files")
        for (path, bytes) in onDisk {
            XCTAssertEqual(embedded[path], bytes, "\(path) differs from its embedded copy")
        }
    }

    func testEmbeddedFilesAreBase64StringLiterals() throws {
        for (path, text) in EmbeddedAssets.files {
            XCTAssertNotNil(Data(base64Encoded: text), path)
        }
    }

    func testEmbeddedFilesServeThroughTheStore() throws {
        let store = AssetStore(.embedded(EmbeddedAssets.decoded(), under: "Templates"))
        let page = try XCTUnwrap(store.asset(at: "index.html"))
        XCTAssertEqual(page.contentType, "text/html; charset=utf-8")
        XCTAssertEqual(page.bytes, try Array(Data(contentsOf: package.appending(path: "Templates/index.html"))))
    }

    /// KaTeX (README "The chat UI": math) is served from the binary: its script, its stylesheet
    /// and every font the stylesheet names, the fonts as `font/woff2`.
    func testVendoredKaTeXIsEmbeddedWithEveryFontItNames() throws {
        let store = AssetStore(.embedded(EmbeddedAssets.decoded(), under: "Frontend"))
        let css = try XCTUnwrap(store.asset(at: "vendor/katex/katex.min.css"))
        XCTAssertEqual(css.contentType, "text/css; charset=utf-8")
        XCTAssertEqual(try XCTUnwrap(store.asset(at: "vendor/katex/katex.min.js")).contentType, "text/javascript; charset=utf-8")
        let text = String(decoding: css.bytes, as: UTF8.self)
        let fonts = text.split(separator: "url(").dropFirst().map { $0.prefix { $0 != ")" } }
        XCTAssertEqual(fonts.count, 20, "one WOFF2 per face, no WOFF or TTF fallbacks")
        for font in fonts {
            XCTAssertTrue(font.hasSuffix(".woff2"), "\(font)")
            let asset = try XCTUnwrap(store.asset(at: "vendor/katex/\(font)"), "\(font) is named but not embedded")
            XCTAssertEqual(asset.contentType, "font/woff2")
        }
    }

    /// Package-relative path → bytes of each file in `folders`, dotfiles and dot-folders
    /// left out as the plugin leaves them out.
    private func filesOnDisk(in folders: [String]) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for folder in folders {
            let root = package.appending(path: folder)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            for case let relative as String in walker {
                guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
                var isFolder: ObjCBool = false
                let url = root.appending(path: relative)
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else {
                    continue
                }
                files[folder + "/" + relative] = try Array(Data(contentsOf: url))
            }
        }
        return files
    }
}
