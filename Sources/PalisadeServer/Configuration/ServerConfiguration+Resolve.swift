import Foundation

extension ServerConfiguration {
    /// Resolves the configuration from `serve`'s arguments (after the subcommand), the process
    /// environment and the optional config file. Throws `UsageError` on anything unknown or
    /// malformed, naming the culprit.
    public static func resolve(arguments: [String], environment: [String: String]) throws(UsageError)
        -> ServerConfiguration
    {
        var flags: [String: String] = [:]
        var configPath = environment["PALISADE_CONFIG"]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard name == "--config" || settings.contains(where: { $0.flag == name }) else {
                throw UsageError("unknown option '\(argument)' (see 'palisade serve --help')")
            }
            if value == nil {
                index += 1
                guard index < arguments.count else { throw UsageError("\(name) needs a value") }
                value = arguments[index]
            }
            if name == "--config" { configPath = value } else { flags[name] = value }
            index += 1
        }

        let file = try configPath.map { (path) throws(UsageError) in try readConfigFile(path) } ?? [:]
        var configuration = ServerConfiguration()
        for setting in settings {
            if let value = flags[setting.flag] ?? environment[setting.environmentName] ?? file[setting.key] {
                try setting.apply(&configuration, value)
            }
        }
        if (configuration.tlsCertificatePath == nil) != (configuration.tlsKeyPath == nil) {
            throw UsageError("--tls-cert and --tls-key go together")
        }
        return configuration
    }

    /// A flat JSON object of setting keys to strings or numbers; anything else is refused.
    static func readConfigFile(_ path: String) throws(UsageError) -> [String: String] {
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > 1 << 20 {
                throw UsageError("config file \(path) is over 1 MiB")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as UsageError {
            throw error
        } catch {
            throw UsageError("cannot read config file \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw UsageError("config file \(path) must be a JSON object")
        }
        var result: [String: String] = [:]
        for (key, value) in object {
            guard settings.contains(where: { $0.key == key }) else {
                throw UsageError("config file \(path): unknown key '\(key)'")
            }
            switch value {
            case let text as String: result[key] = text
            case let number as NSNumber: result[key] = number.stringValue
            default: throw UsageError("config file \(path): '\(key)' must be a string or number")
            }
        }
        return result
    }
}
