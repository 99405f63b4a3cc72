// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: the toolchain and the system zlib only (DESIGN §1).
let package = Package(
    name: "Runnel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "runnel", targets: ["runnel"]),
        .library(name: "Runnel", targets: ["Runnel"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "ChatBackends", targets: ["ChatBackends"]),
    ],
    targets: [
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "HTTPServer", dependencies: ["CSystem"]),
        .target(name: "ChatBackends"),
        .target(
            name: "Runnel",
            dependencies: ["HTTPServer", "ChatBackends", "CSystem"],
            plugins: ["EmbedAssets"]
        ),
        .executableTarget(name: "runnel", dependencies: ["Runnel"]),
        .executableTarget(name: "runnel-embed", path: "Plugins/EmbedAssetsTool"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["runnel-embed"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "ChatBackendsTests", dependencies: ["ChatBackends", "TestSupport"]),
        .testTarget(name: "RunnelTests", dependencies: ["Runnel", "HTTPServer", "ChatBackends", "TestSupport"]),
    ]
)
