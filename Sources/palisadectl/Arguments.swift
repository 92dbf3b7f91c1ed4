/// A command line split into positional words and `--name value` / `--flag` options.
/// Options may appear anywhere; `-o`, `-f` are short forms of `--output`, `--file`.
struct Arguments {
    /// Options that take no value.
    static let flags: Set<String> = ["dry-run", "password-stdin", "help", "insecure-skip-verify"]
    static let short = ["o": "output", "f": "file", "h": "help"]

    private(set) var words: [String] = []
    private(set) var options: [String: String] = [:]
    /// `--filter key=value`, repeatable.
    private(set) var filters: [(String, String)] = []

    init(_ arguments: [String]) throws(Failure) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                words.append(argument)
                continue
            }
            var name = String(argument.drop { $0 == "-" })
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            name = Self.short[name] ?? name
            guard !name.isEmpty else { throw .usage("empty option '\(argument)'") }
            if Self.flags.contains(name) {
                guard value == nil else { throw .usage("--\(name) takes no value") }
                options[name] = "true"
                continue
            }
            if value == nil {
                guard index < arguments.count else { throw .usage("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if name == "filter" {
                let parts = value!.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw .usage("--filter takes key=value") }
                filters.append((String(parts[0]), String(parts[1])))
            } else {
                options[name] = value
            }
        }
    }

    subscript(option: String) -> String? { options[option] }

    func has(_ flag: String) -> Bool { options[flag] != nil }

    /// Fails on any option not in `allowed` (plus the global ones), so typos never pass silently.
    func check(allowed: Set<String>) throws(Failure) {
        let global: Set<String> = ["server", "ca", "output", "help"]
        for name in options.keys where !allowed.contains(name) && !global.contains(name) {
            throw .usage("unknown option --\(name)")
        }
        if !filters.isEmpty && !allowed.contains("filter") { throw .usage("--filter does not apply here") }
    }
}
