import Foundation
import HTTP

/// `events tail`: prints the latest events, then each new one as it arrives (polling).
enum EventsTail {
    static func run(_ words: [String], _ arguments: Arguments, json: Bool) throws(Failure) {
        guard words == ["tail"] else { throw .usage("events tail [--filter k=v]... [--interval SECONDS] [--count N]") }
        try arguments.check(allowed: ["filter", "interval", "count"])
        guard let interval = Double(arguments["interval"] ?? "2"), interval >= 0.2, interval <= 3600 else {
            throw .usage("--interval must be 0.2 to 3600 seconds")
        }
        let count = try arguments["count"].map { text throws(Failure) in
            guard let n = Int(text), n > 0 else { throw .usage("--count must be a positive number") }
            return n
        }
        let client = try APIClient(arguments)
        let columns = try Resource.named("events").columns
        var seen = Set<Int64>()
        var printed = 0
        var since: String?
        var first = true
        while true {
            var query = arguments.filters
            if let since { query.append(("since", since)) }
            // The newest page, printed oldest first; later pages only what was not seen yet.
            let page = try client.list("/v1/events", query: query, limit: first ? 20 : 500).reversed()
            var fresh: [JSONValue] = []
            for event in page {
                guard case .integer(let id)? = event["id"], seen.insert(id).inserted else { continue }
                fresh.append(event)
                if case .string(let time)? = event["occurred_at"] { since = max(since ?? time, time) }
            }
            if seen.count > 100_000 { seen.removeAll() }
            for event in fresh {
                if json {
                    print(String(decoding: (try? JSONCoding.encode(event)) ?? [], as: UTF8.self))
                } else {
                    print(Table.render([event], columns: columns).split(separator: "\n").last.map(String.init) ?? "")
                }
                printed += 1
                if let count, printed >= count { return }
            }
            fflush(nil)  // every stream: a pipe reader sees each event as it comes
            first = false
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
