import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// Hands the process to libFuzzer, which calls `target` with each input and reads its
/// options (`-max_total_time`, `-timeout`, corpus folders…) from the command line.
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
