/// What group criteria are evaluated against: a workload as its enforcer reported it.
public struct WorkloadFacts: Sendable, Equatable {
    public var id: String
    public var name: String
    public var namespace: String
    public var labels: [String: String]
    public var image: String
    public var addresses: [String]
    public var service: String?

    public init(
        id: String, name: String, namespace: String, labels: [String: String], image: String, addresses: [String],
        service: String? = nil
    ) {
        self.service = service
        self.id = id
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.image = image
        self.addresses = addresses
    }
}
