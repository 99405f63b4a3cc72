@testable import ChatBackends
import Foundation
import FuzzSupport

// JSON extraction on arbitrary model text: no crash, hang or leak; what it returns is
// valid JSON; and extracting from an extracted object or array gives it back unchanged
// (it is already compact). The bracket scanner also runs with a small budget, so its
// give-up path is reached by short inputs too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = FuzzInput(data, count)
    let text = String(decoding: input.payload, as: UTF8.self)
    if let json = JSONExtractor.firstJSON(in: text) {
        require(JSONBytes.parses(Array(json.utf8)), "not JSON: \(json)")
        if json.hasPrefix("{") || json.hasPrefix("[") {
            require(JSONExtractor.firstJSON(in: json) == json, "extracting again changed \(json)")
        }
    }
    if let value = BalancedJSONScanner.firstValue(in: input.payload, budget: input.pieceSize * 64) {
        require(JSONBytes.parses(value), "scanner returned invalid JSON")
    }
    _ = FencedBlock.all(in: text)
    return 0
}

runFuzzer(fuzz)
