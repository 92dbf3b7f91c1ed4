import Domain
import Foundation

/// Who is calling: a signed-in user, an API key, or nobody (anonymous endpoints only).
public struct Principal: Sendable {
    public enum Kind: Sendable {
        case user(id: Int64, sessionID: Int64)
        case apiKey(id: UUID)
        case anonymous
    }

    public let kind: Kind
    /// The user's name, or the API key's name.
    public let name: String
    public let role: Role?

    public static let anonymous = Principal(kind: .anonymous, name: "anonymous", role: nil)

    /// How the audit log names this caller: `alice`, `api-key:soar-prod`, `anonymous`.
    public var actor: String {
        switch kind {
        case .user: name
        case .apiKey: "api-key:\(name)"
        case .anonymous: "anonymous"
        }
    }

    var userID: Int64? {
        if case .user(let id, _) = kind { return id }
        return nil
    }
}
