import Foundation
import HTTP

/// Keyset pagination: `?limit=&cursor=`. The cursor is the sort key of the last item of the
/// previous page (opaque base64url to clients), so pages stay free of duplicates and gaps while
/// rows are inserted, and every page costs one index range scan however deep it is.
struct Page: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    let limit: Int
    /// The sort key values after which this page starts; nil for the first page.
    let after: [String]?

    init(limit: Int?, cursor: String?) throws(HTTPError) {
        self.limit = limit ?? Self.defaultLimit
        guard let cursor else {
            after = nil
            return
        }
        guard let values = Self.decode(cursor) else { throw .invalidField("cursor", "is not a cursor this API issued") }
        after = values
    }

    /// The key of an item as the cursor carries it.
    static func cursor(_ key: [String]) -> String {
        let data = (try? JSONEncoder().encode(key)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ cursor: String) -> [String]? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let values = try? JSONDecoder().decode([String].self, from: data),
            (1...4).contains(values.count)
        else { return nil }
        return values
    }

    /// The cursor value of `after` at `index`, as an integer key; a malformed cursor is a 400.
    func afterInt(_ index: Int = 0) throws(HTTPError) -> Int64? {
        guard let after else { return nil }
        guard index < after.count, let value = Int64(after[index]) else {
            throw .invalidField("cursor", "is not a cursor for this list")
        }
        return value
    }

    /// The cursor of lists sorted by (creation time, UUID): both parts, checked.
    func afterTimeAndUUID() throws(HTTPError) -> (time: String?, id: String?) {
        let time = try afterString(0)
        let id = try afterString(1)
        if let id, UUID(uuidString: id) == nil { throw .invalidField("cursor", "is not a cursor for this list") }
        return (time, id)
    }

    func afterString(_ index: Int = 0) throws(HTTPError) -> String? {
        guard let after else { return nil }
        guard index < after.count else { throw .invalidField("cursor", "is not a cursor for this list") }
        return after[index]
    }
}

/// `{"items": […], "next_cursor": …}`: every list answers in this shape.
struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    @Nullable var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    /// Fetches `limit + 1` rows to know whether another page exists; the cursor is the key of
    /// the last item shown.
    init(rows: [Item], page: Page, key: (Item) -> [String]) {
        self.init(keyed: rows.map { ($0, key($0)) }, page: page)
    }

    /// Rows with their sort keys fetched alongside (keys the items themselves do not show).
    init(keyed rows: [(Item, [String])], page: Page) {
        let shown = rows.prefix(page.limit)
        items = shown.map(\.0)
        nextCursor = rows.count > page.limit ? shown.last.map { Page.cursor($0.1) } : nil
    }
}
