/// A value that breaks a domain rule. `field` is the wire path of the value, with indexes
/// (`criteria[2].value`), so an API client can point at exactly what to fix.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// The same problem, one level down: `criteria` + `[2].value`.
    public func nested(under parent: String) -> ValidationError {
        let separator = field.hasPrefix("[") ? "" : "."
        return ValidationError(field: parent + separator + field, problem: problem)
    }

    public var description: String { "\(field) \(problem)" }
}

/// Character-class checks shared by the policy types, so every name means the same everywhere.
public enum Token {
    /// Group names: letters, digits and `._:-`, 1–128 characters (the database checks the same).
    public static func isGroupName(_ text: String) -> Bool {
        matches(text, maxLength: 128) { $0.isLetterOrDigit || "._:-".utf8.contains($0) }
    }

    /// User names: letters, digits and `._@-`, 1–64 characters (the database checks the same).
    public static func isUserName(_ text: String) -> Bool {
        matches(text, maxLength: 64) { $0.isLetterOrDigit || "._@-".utf8.contains($0) }
    }

    /// Literal values compared by criteria: what image references, label values and workload
    /// names contain, and nothing a reader could take for a pattern (`*`, `(`, `|`, `\`, …).
    public static func isLiteralValue(_ text: String) -> Bool {
        matches(text, maxLength: 253) { $0.isLetterOrDigit || "._:/@=-".utf8.contains($0) }
    }

    /// Application names such as `HTTP`, `DNS`, `MySQL`.
    public static func isApplication(_ text: String) -> Bool {
        matches(text, maxLength: 32) { $0.isLetterOrDigit || "._-".utf8.contains($0) }
    }

    static func matches(_ text: String, maxLength: Int, _ allowed: (UInt8) -> Bool) -> Bool {
        !text.isEmpty && text.utf8.count <= maxLength && text.utf8.allSatisfy(allowed)
    }
}

extension UInt8 {
    var isLetterOrDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
