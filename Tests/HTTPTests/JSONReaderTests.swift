import Foundation
import Testing

@testable import HTTP

@Suite("Strict JSON reader and RFC 3339 timestamps")
struct JSONReaderTests {
    static func parse(_ text: String) throws(HTTPError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test(
        "valid documents read the same as Foundation's parser reads them",
        arguments: [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-0.5,"g":1e3,"h":"\u00e9\n\"\\\/","i":[]}"#,
            #"  [ 1 , -9223372036854775808 , 9223372036854775807 , 9223372036854775808 , 0 , -0 ]  "#,
            #""\ud83d\ude00 and ü and 日本""#, "123", "[[[[[]]]]]", #"{"":{}}"#, "1E+2", "2.5e-3",
        ])
    func agreesWithFoundation(text: String) throws {
        let ours = try Self.parse(text)
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(Self.same(ours, theirs), "\(text)")
    }

    static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch (ours, theirs) {
        case (.null, is NSNull): return true
        case (.string(let a), let b as String): return a == b
        case (.bool(let a), let b as NSNumber): return String(cString: b.objCType) == "c" && a == b.boolValue
        case (.integer(let a), let b as NSNumber): return a == b.int64Value && Double(a) == b.doubleValue
        case (.number(let a), let b as NSNumber): return a == b.doubleValue
        case (.array(let a), let b as [Any]): return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (.object(let a), let b as [String: Any]):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        default: return false
        }
    }

    @Test(
        "malformed documents are refused with the reason and the byte offset",
        arguments: [
            ("", "unexpected end") as (String, String), ("{", "unexpected end"), (#"{"a":1,}"#, "unexpected character"),
            ("[1,]", "unexpected character"), ("[1 2]", "unexpected character"), ("01", "leading zero"),
            ("-", "unexpected"), ("1.", "unexpected"), ("1e", "unexpected"), (".5", "unexpected character"),
            ("tru", "unexpected end"), ("nul", "unexpected end"), (#""abc"#, "not terminated"),
            ("\"a\u{01}b\"", "control character"), (#""\x""#, "unknown escape"), (#""\ud800""#, "lone surrogate"),
            (#""\udc00""#, "lone surrogate"), (#""\u12g4""#, "bad \\u escape"), (#"{"a":1,"a":2}"#, "appears twice"),
            ("1 2", "after the value"), (#"{"a" 1}"#, "unexpected character"), ("[1,,2]", "unexpected character"),
            ("1e999", "out of range"), ("{'a':1}", "unexpected character"), ("NaN", "unexpected character"),
            (String(repeating: "[", count: 33) + String(repeating: "]", count: 33), "deeper than 32"),
        ])
    func refusesMalformed(text: String, reason: String) {
        #expect {
            _ = try Self.parse(text)
        } throws: { error in
            guard let error = error as? HTTPError else { return false }
            return error.code == "malformed_json" && error.detail.contains(reason) && error.detail.contains("at byte")
        }
    }

    @Test("bytes that are not UTF-8 are refused inside strings and outside them")
    func refusesInvalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xEF, 0xBB, 0xBF, 0x31],
        ] {
            #expect(throws: HTTPError.self) { _ = try JSONValue.parse(bytes) }
        }
        #expect(throws: HTTPError.self) { _ = try JSONValue.parse(Array(#""a\u00e9""#.utf8) + [0x22, 0xFF, 0x22]) }
    }

    @Test("typed field reads name the field on a wrong type and treat null as absent")
    func fieldReads() throws {
        var reader = JSONReader(Array(#"{"n":null,"i":7,"s":"x","d":1.5}"#.utf8))
        try reader.beginObject()
        var seen: [String: String] = [:]
        while let key = try reader.nextKey() {
            switch key {
            case "n": seen[key] = try reader.string(field: key) ?? "nil"
            case "i": seen[key] = try reader.integer(field: key).map(String.init) ?? "nil"
            case "s": seen[key] = try reader.string(field: key)
            default:
                #expect {
                    _ = try reader.integer(field: "reports[0].d")
                } throws: { error in
                    (error as? HTTPError)?.detail.contains("reports[0].d") == true
                }
                return #expect(seen == ["n": "nil", "i": "7", "s": "x"])
            }
        }
        Issue.record("the object ended before its last field")
    }

    @Test(
        "timestamps parse as Foundation's ISO 8601 style does",
        arguments: [
            "2026-12-04T08:15:30Z", "2026-12-04T08:15:30.123Z", "2026-12-04T08:15:30.123456+00:00",
            "2024-02-29T23:59:59-05:30", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "2000-03-01t00:00:00z",
            "1600-02-29T12:00:00Z", "9999-12-31T23:59:59+14:00",
        ])
    func timestampsParse(text: String) throws {
        let ours = try #require(Timestamp.parse(text))
        let fractional = text.contains(".")
        let theirs = try Date.ISO8601FormatStyle(includingFractionalSeconds: fractional).parse(text.uppercased())
        #expect(abs(ours.timeIntervalSince1970 - theirs.timeIntervalSince1970) < 0.001, "\(text)")
    }

    @Test(
        "impossible or malformed timestamps are refused",
        arguments: [
            "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-12-04T24:00:00Z", "2026-12-04T23:60:00Z", "2026-12-04T23:59:60Z", "2026-12-04 08:15:30Z",
            "2026-12-04T08:15:30", "2026-12-04T08:15:30.Z", "2026-12-04T08:15:30+0100", "2026-12-04T08:15:30+01",
            "2026-12-4T08:15:30Z", "２０２６-12-04T08:15:30Z", "2026-12-04T08:15:30Zjunk", "",
        ])
    func timestampsRefused(text: String) {
        #expect(Timestamp.parse(text) == nil, "\(text)")
    }

    @Test("dates before the Gregorian reform count in the proleptic calendar, as PostgreSQL does")
    func prolepticGregorian() {
        #expect(Timestamp.parse("0001-01-01T00:00:00Z")?.timeIntervalSince1970 == -62_135_596_800)
        #expect(Timestamp.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
    }

    @Test("dates no timestamp can hold are formatted without trapping")
    func extremeDates() {
        for date in [
            Date.distantFuture, Date.distantPast, Date(timeIntervalSince1970: 1e18),
            Date(timeIntervalSince1970: .infinity),
        ] {
            #expect(!Timestamp.format(date).isEmpty && !Timestamp.formatPrecise(date).isEmpty)
        }
        #expect(Timestamp.format(Date.distantFuture).hasPrefix("4001-01-01T00:00:00"))
    }

    @Test("timestamps format as the calendar says, to the millisecond, and read back exactly")
    func timestampsFormat() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000)  // 1900 to 2100
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let wholeSecond = Date(timeIntervalSince1970: Double(milliseconds.floorDivided(by: 1000)))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: wholeSecond)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!,
                parts.minute!, parts.second!)
            #expect(Timestamp.format(date) == expected + "Z")
            let precise = Timestamp.formatPrecise(date)
            #expect(precise == expected + String(format: ".%03dZ", Int(milliseconds.modulo(1000))))
            #expect(Timestamp.parse(precise).map { abs($0.timeIntervalSince(date)) < 0.0005 } == true, "\(precise)")
        }
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 { (self - modulo(divisor)) / divisor }
    fileprivate func modulo(_ divisor: Int64) -> Int64 { ((self % divisor) + divisor) % divisor }
}
