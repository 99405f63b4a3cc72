import Foundation
import HTTPServer
import Runnel
import Sockets

/// `runnel`: parse the command line, start the app, wait for a signal.
@main
enum RunnelCommand {
    static func main() async {
        let launched = ContinuousClock.now
        // First, before any thread exists: a signal during startup must not be lost.
        let running = RunningApp()
        ShutdownSignals.install {
            guard let app = running.app else { exit(0) }  // nothing started yet: nothing to drain
            print("runnel: shutting down (again to force)")
            Task { await app.shutdown() }
        }

        let environment = ProcessInfo.processInfo.environment
        let terminal = Terminal(isTTY: isatty(STDOUT_FILENO) == 1)
        var configuration: RunnelConfiguration
        do {
            switch try CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst()), environment: environment) {
            case .help: print(CommandLineOptions.helpText); exit(0)
            case .version: print("runnel \(RunnelApp.version)"); exit(0)
            case .run(let parsed): configuration = parsed
            }
        } catch {
            terminal.fail("\(error)")
        }
        if !configuration.quiet {
            let format = configuration.logFormat
            configuration.server.accessLog = { terminal.accessLine($0, format: format) }
        }

        let openFiles = OpenFileLimit.raiseToHardLimit()
        if openFiles < configuration.server.maxConnections + 64 {
            terminal.note("runnel: only \(openFiles) open files allowed (ulimit -n): fewer than --max-connections \(configuration.server.maxConnections) can be held")
        }

        do {
            let app = try RunnelApp(configuration: configuration, environment: environment) { terminal.note($0) }
            running.app = app
            try app.start()
            terminal.banner(app: app, startup: ContinuousClock.now - launched)
            await app.waitUntilStopped()
        } catch {
            terminal.fail("\(error)")
        }
    }
}

/// The app once it exists, for the signal thread.
private final class RunningApp: Sendable {
    private let slot = Lock<RunnelApp?>(nil)
    var app: RunnelApp? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
