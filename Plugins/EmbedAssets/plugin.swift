import Foundation
import PackagePlugin

/// Compiles `Frontend/` and `Templates/` into the target as `EmbeddedAssets` (README "Modes"), so a
/// release binary serves the UI with no files beside it.
///
/// Every file is an input of the build command, so editing one regenerates the Swift file;
/// the listing runs on each build, so added and removed files are picked up too.
@main
struct EmbedAssets: BuildToolPlugin {
    /// The folders embedded, relative to the package.
    static let folders = ["Frontend", "Templates"]

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let package = context.package.directoryURL
        let inputs = Self.folders.flatMap { Self.files(under: package.appending(path: $0)) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files of \(Self.folders.joined(separator: " and "))",
                executable: try context.tool(named: "runnel-embed").url,
                arguments: [output.path, package.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }

    /// The regular files below `folder`, dotfiles and dot-folders left out (`.DS_Store`, vim
    /// swap files, `.git`), in a stable order; none when the folder does not exist.
    static func files(under folder: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]
        ) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            // Follows a symlink to a file (as the dev server does); a symlinked folder is skipped.
            let isFile = (try? url.resolvingSymlinksInPath().resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile
            if isFile == true { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }
}
