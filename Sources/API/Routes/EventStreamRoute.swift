import Domain
import Foundation
import HTTP
import Storage

/// `GET /v1/events/stream`: new events as Server-Sent Events, as they commit. A client that
/// reconnects with `Last-Event-ID` first gets what it missed (up to `backfillLimit`, from the
/// table), then the live feed. The caller is re-checked at every heartbeat, so a stream ends
/// soon after its session is signed out, expires or its API key is revoked.
enum EventStreamRoute {
    static let backfillLimit = 1_000

    static func endpoints(_ context: APIContext) -> [Endpoint] {
        [
            Endpoint(
                "GET", "/v1/events/stream", .role(.reader), "Follow new events as Server-Sent Events",
                tag: "Observation",
                query: [
                    QueryParameter("kind", .enumeration(EventKind.self), "Only this kind."),
                    QueryParameter("min_severity", .enumeration(Severity.self), "Only this severity or worse."),
                ], response: .string(maxLength: .max), responseContentType: "text/event-stream", handler: stream)
        ]
    }

    static func stream(_ request: APIRequest) async throws -> Response {
        guard let feed = request.context.feed else {
            throw HTTPError.unavailable("The live event feed is not running on this server.")
        }
        let lastEventID = try lastEventID(request.http)
        let kind = request.query("kind")
        let minimum = request.query("min_severity").flatMap(Severity.init(rawValue:))
        let matches: @Sendable (EventRoutes.Event) -> Bool = { event in
            guard kind == nil || event.kind == kind else { return false }
            guard let minimum else { return true }
            return Severity(rawValue: event.severity).map { $0 >= minimum } ?? false
        }
        // Subscribed before the backfill is read, so nothing committed in between is lost.
        guard let subscription = feed.subscribe() else {
            throw HTTPError.unavailable("This server already serves \(EventFeed.maximumSubscribers) event streams.")
        }
        let http = request.http
        let context = request.context
        var response = Response.streaming(contentType: "text/event-stream") { writer in
            defer { subscription.cancel() }
            try await writer.write("retry: 3000\n\n")
            var backfilled: Set<Int64> = []
            if let lastEventID {
                let missed = try await context.pool.query(
                    EventRoutes.selectEvents(
                        where: "id > $1 ORDER BY id LIMIT \(backfillLimit)", binds: [lastEventID])
                ).map(EventRoutes.Event.init)
                backfilled = Set(missed.map(\.id))
                try await writer.write(try frames(missed.filter(matches)))
            }
            for await update in subscription.updates {
                switch update {
                case .heartbeat:
                    guard try await Authenticator.authenticate(http, context: context) != nil else { return }
                    try await writer.write(": heartbeat\n\n")
                case .events(let events):
                    let text = try frames(events.filter { !backfilled.contains($0.id) && matches($0) })
                    if !text.isEmpty { try await writer.write(text) }
                }
            }
        }
        // Proxies must not buffer a stream that is meant to arrive as it happens.
        response.headers.replaceOrAdd(name: "x-accel-buffering", value: "no")
        return response
    }

    /// `Last-Event-ID`: the id of the last event the client saw (a non-negative integer).
    static func lastEventID(_ request: Request) throws(HTTPError) -> Int64? {
        guard let value = request.headers["last-event-id"] else { return nil }
        guard value.utf8.count <= 19, let id = Int64(value), id >= 0 else {
            throw .invalidField("Last-Event-ID", "must be the id of an event (a non-negative integer)")
        }
        return id
    }

    /// One SSE frame per event: `id`, `event: event` and the event's JSON on one `data` line
    /// (JSON text has no raw newlines, so one line always suffices).
    static func frames(_ events: [EventRoutes.Event]) throws -> String {
        var text = ""
        for event in events {
            text += "id: \(event.id)\nevent: event\ndata: "
            text += String(decoding: try JSONCoding.encode(event), as: UTF8.self)
            text += "\n\n"
        }
        return text
    }
}
