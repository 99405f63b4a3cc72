// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: the toolchain and the system zlib only (README "Layout").
let package = Package(
    name: "Runnel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "runnel", targets: ["runnel"]),
        .library(name: "Runnel", targets: ["Runnel"]),
        .library(name: "Sockets", targets: ["Sockets"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "ChatBackends", targets: ["ChatBackends"]),
    ],
    targets: [
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "Sockets", dependencies: ["CSystem"]),
        .target(name: "HTTPServer", dependencies: ["Sockets", "CSystem"]),
        .target(name: "ChatBackends", dependencies: ["Sockets"]),
        .target(
            name: "Runnel",
            dependencies: ["HTTPServer", "ChatBackends", "CSystem"],
            plugins: ["EmbedAssets"]
        ),
        .executableTarget(name: "runnel", dependencies: ["Runnel"]),
        .executableTarget(name: "runnel-embed", path: "Plugins/EmbedAssetsTool"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["runnel-embed"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Sockets", "TestSupport"]),
        .testTarget(name: "ChatBackendsTests", dependencies: ["ChatBackends", "TestSupport"]),
        .testTarget(name: "RunnelTests", dependencies: ["Runnel", "HTTPServer", "ChatBackends", "TestSupport"]),
    ]
)
