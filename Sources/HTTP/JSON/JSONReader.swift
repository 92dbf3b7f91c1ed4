/// A strict RFC 8259 JSON reader that pulls values straight out of a UTF-8 request body, with no
/// intermediate tree. The bulk enforcer reports are read with it field by field; `JSONValue.parse`
/// builds its tree with it.
///
/// Why our own: the toolchain's only parsers are Foundation's. `JSONSerialization` builds an
/// `NSDictionary`/`NSNumber` tree that then has to be converted, and `JSONDecoder` with unknown
/// keys refused walks every object twice; together they were most of the server's CPU per
/// ingested report (docs/ENFORCERS.md). No other C library may be linked (DESIGN.md).
///
/// Strictness, so that Palisade and any other parser can never disagree about a body: UTF-8 only
/// (checked inside strings, and nothing else may be non-ASCII), no control characters or lone
/// surrogates in strings, no duplicate keys, no trailing commas, no leading zeros, nothing after
/// the value but whitespace, and nesting bounded by `maximumDepth` before any recursion.
/// Every failure is a 400 `malformed_json` naming the byte offset.
public struct JSONReader {
    public enum Kind: Sendable { case object, array, string, number, bool, null }

    /// A JSON number as written: an integer when it has no fraction or exponent and fits.
    public enum Number: Sendable, Equatable {
        case integer(Int64)
        case double(Double)
    }

    public static let defaultMaximumDepth = 32

    private let bytes: [UInt8]
    private var offset = 0
    private var depth = 0
    private let maximumDepth: Int
    /// True right after a container opens: its first element needs no comma.
    private var atFirstElement = false

    public init(_ bytes: [UInt8], maximumDepth: Int = JSONReader.defaultMaximumDepth) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    // MARK: Errors

    func malformed(_ reason: String) -> HTTPError {
        .badRequest("The body is not valid JSON: \(reason) at byte \(offset).", code: "malformed_json")
    }

    private func unexpected() -> HTTPError {
        offset < bytes.count ? malformed("unexpected character") : malformed("unexpected end")
    }

    // MARK: Structure

    /// The kind of the next value, without reading it.
    public mutating func peek() throws(HTTPError) -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpected() }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw unexpected()
        }
    }

    public mutating func beginObject() throws(HTTPError) { try open(UInt8(ascii: "{")) }
    public mutating func beginArray() throws(HTTPError) { try open(UInt8(ascii: "[")) }

    private mutating func open(_ bracket: UInt8) throws(HTTPError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == bracket else { throw unexpected() }
        guard depth < maximumDepth else { throw malformed("nested deeper than \(maximumDepth) levels") }
        depth += 1
        offset += 1
        atFirstElement = true
    }

    /// The next key of the open object (its value is to be read next), or nil when the object
    /// has ended. Duplicate keys are the caller's to refuse: it knows which it has seen.
    public mutating func nextKey() throws(HTTPError) -> String? {
        guard try hasNext(closing: UInt8(ascii: "}")) else { return nil }
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw unexpected() }
        let key = try readString()
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw unexpected() }
        offset += 1
        return key
    }

    /// True when the open array has another element (to be read next), false when it has ended.
    public mutating func nextElement() throws(HTTPError) -> Bool {
        try hasNext(closing: UInt8(ascii: "]"))
    }

    private mutating func hasNext(closing: UInt8) throws(HTTPError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw unexpected() }
        let byte = bytes[offset]
        if byte == closing {
            offset += 1
            depth -= 1
            atFirstElement = false
            return false
        }
        if atFirstElement {
            atFirstElement = false
            return true
        }
        guard byte == UInt8(ascii: ",") else { throw unexpected() }
        offset += 1
        skipWhitespace()
        // A comma must be followed by another element, never by the closing bracket.
        guard offset < bytes.count, bytes[offset] != closing else { throw unexpected() }
        return true
    }

    /// Checks that nothing but whitespace follows the value just read.
    public mutating func finish() throws(HTTPError) {
        skipWhitespace()
        guard offset == bytes.count else { throw malformed("unexpected text after the value") }
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    // MARK: Scalars

    public mutating func readNull() throws(HTTPError) {
        skipWhitespace()
        try literal("null")
    }

    public mutating func readBool() throws(HTTPError) -> Bool {
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    private mutating func literal(_ word: StaticString) throws(HTTPError) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw malformed("unexpected end") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] { throw unexpected() }
        offset += count
    }

    public mutating func readNumber() throws(HTTPError) -> Number {
        skipWhitespace()
        let start = offset
        var negative = false
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        // Accumulated negatively so Int64.min fits; overflow falls back to Double.
        var value: Int64 = 0
        var fits = true
        let integerStart = offset
        while offset < bytes.count, let digit = Self.digit(bytes[offset]) {
            if fits {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (minus, o2) = times.subtractingReportingOverflow(Int64(digit))
                value = minus
                fits = !o1 && !o2
            }
            offset += 1
        }
        let integerDigits = offset - integerStart
        guard integerDigits > 0 else { throw unexpected() }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw malformed("a number has a leading zero")
        }
        var integral = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            guard try skipDigits() > 0 else { throw unexpected() }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            integral = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard try skipDigits() > 0 else { throw unexpected() }
        }
        if integral && fits {
            if negative { return .integer(value) }
            if value != .min { return .integer(-value) }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard let double = Double(text), double.isFinite else { throw malformed("a number is out of range") }
        return .double(double)
    }

    private mutating func skipDigits() throws(HTTPError) -> Int {
        let start = offset
        while offset < bytes.count, Self.digit(bytes[offset]) != nil { offset += 1 }
        return offset - start
    }

    private static func digit(_ byte: UInt8) -> UInt8? {
        byte &- UInt8(ascii: "0") < 10 ? byte &- UInt8(ascii: "0") : nil
    }

    public mutating func readString() throws(HTTPError) -> String {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw unexpected() }
        offset += 1
        let start = offset
        var ascii = true
        // The common case: no escapes. Scan to the closing quote, then build the String once.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let slice = bytes[start..<offset]
                offset += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    offset = start
                    throw malformed("a string is not UTF-8")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            guard byte >= 0x20 else { throw malformed("a string holds a control character") }
            if byte >= 0x80 { ascii = false }
            offset += 1
        }
        throw malformed("a string is not terminated")
    }

    /// The slow path, for strings with escapes: decoded into a byte buffer, then validated.
    private mutating func readEscapedString(from start: Int) throws(HTTPError) -> String {
        var decoded = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else {
                    throw malformed("a string is not UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard offset < bytes.count else { throw unexpected() }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"): decoded.append(contentsOf: try readUnicodeEscape())
                default: throw malformed("a string has an unknown escape")
                }
            default:
                guard byte >= 0x20 else { throw malformed("a string holds a control character") }
                decoded.append(byte)
            }
        }
        throw malformed("a string is not terminated")
    }

    /// `\uXXXX` (after the `\u`), joining a surrogate pair; lone surrogates are refused.
    private mutating func readUnicodeEscape() throws(HTTPError) -> String.UTF8View {
        var scalar = try readHex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            else { throw malformed("a string has a lone surrogate") }
            offset += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw malformed("a string has a lone surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw malformed("a string has a lone surrogate") }
        return String(Character(unicode)).utf8
    }

    private mutating func readHex4() throws(HTTPError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw unexpected() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw malformed("a string has a bad \\u escape")
            }
            value = value << 4 | UInt32(nibble)
            offset += 1
        }
        return value
    }
}

extension JSONReader {
    /// The next value as a tree. Objects with a repeated key are refused.
    public mutating func readValue() throws(HTTPError) -> JSONValue {
        switch try peek() {
        case .null:
            try readNull()
            return .null
        case .bool:
            return .bool(try readBool())
        case .number:
            switch try readNumber() {
            case .integer(let value): return .integer(value)
            case .double(let value): return .number(value)
            }
        case .string:
            return .string(try readString())
        case .array:
            try beginArray()
            var items: [JSONValue] = []
            while try nextElement() { items.append(try readValue()) }
            return .array(items)
        case .object:
            try beginObject()
            var object: [String: JSONValue] = [:]
            while let key = try nextKey() {
                let value = try readValue()
                guard object.updateValue(value, forKey: key) == nil else {
                    throw malformed("the key \"\(key.prefix(64))\" appears twice")
                }
            }
            return .object(object)
        }
    }
}
