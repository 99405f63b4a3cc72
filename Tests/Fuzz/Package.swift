// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for Runnel's parsers, built only by `make fuzz` (see README, Tests):
//
//     swift build --package-path Tests/Fuzz --scratch-path .build-fuzz -c release \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
//
// A package of their own, so `swift build` and `swift test` of Runnel never see them:
// they only link against libFuzzer, which `-sanitize=fuzzer` brings. They reach the
// parsers with `@testable import`, hence `-enable-testing`, so no parser becomes public
// for their sake. lld, because gold fails on the sanitizer runtimes here.

// A path dependency's identity is its folder's name, which differs between checkouts.
let runnel = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL
let runnelIdentity = runnel.lastPathComponent.lowercased()

func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: runnelIdentity) },
        path: name
    )
}

let package = Package(
    name: "RunnelFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: runnel.path)],
    targets: [
        .target(name: "CLibFuzzer", path: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "FuzzSupport"),
        fuzzer("FuzzRequestParser", ["HTTPServer"]),
        fuzzer("FuzzChunkedBody", ["HTTPServer"]),
        fuzzer("FuzzSSEDecoder", ["ChatBackends"]),
        fuzzer("FuzzJSONExtraction", ["ChatBackends"]),
    ]
)
