import Foundation
import HTTPServer
import Runnel
import Synchronization

let launched = ContinuousClock.now
// First, before any thread exists: a signal during startup must not be lost.
let running = Mutex<RunnelApp?>(nil)
ShutdownSignals.install {
    guard let app = running.withLock({ $0 }) else { exit(0) }  // nothing started yet: nothing to drain
    print("runnel: shutting down (again to force)")
    Task { await app.shutdown() }
}

let environment = ProcessInfo.processInfo.environment
let terminal = Terminal(isTTY: isatty(STDOUT_FILENO) == 1)

let configuration: RunnelConfiguration
do {
    switch try CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst()), environment: environment) {
    case .help: print(CommandLineOptions.helpText); exit(0)
    case .version: print("runnel \(RunnelApp.version)"); exit(0)
    case .run(var parsed):
        if !parsed.quiet { parsed.server.accessLog = { terminal.accessLine($0) } }
        configuration = parsed
    }
} catch {
    terminal.fail("\(error)")
}

let openFiles = OpenFileLimit.raiseToHardLimit()
if openFiles < configuration.server.maxConnections + 64 {
    terminal.note("runnel: only \(openFiles) open files allowed (ulimit -n): fewer than --max-connections \(configuration.server.maxConnections) can be held")
}

let app: RunnelApp
do {
    app = try RunnelApp(configuration: configuration, environment: environment) { terminal.note($0) }
    running.withLock { $0 = app }
    try app.start()
} catch {
    terminal.fail("\(error)")
}
terminal.banner(app: app, startup: ContinuousClock.now - launched)
await app.waitUntilStopped()
