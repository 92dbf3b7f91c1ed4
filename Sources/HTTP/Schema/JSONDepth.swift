import Foundation

/// Refuses JSON nested deeper than any schema here needs, before a parser recurses into it.
public enum JSONDepth {
    public static let maximum = 32

    public static func check(_ body: [UInt8]) throws(HTTPError) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximum {
                    throw .badRequest("The JSON body nests deeper than \(maximum) levels.", code: "malformed_json")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }
}
