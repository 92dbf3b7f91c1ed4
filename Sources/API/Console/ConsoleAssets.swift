import Foundation
import PKI

/// The web console's files (`Web/`, plus Chart.js and d3 from Debian's libjs-chart.js and
/// libjs-d3), read once at start. Every asset is served under `/assets/<fingerprint>/`, where the
/// fingerprint hashes all of them: relative imports between modules keep working, any change
/// gives every asset a new URL, so they can be cached for a year; only `index.html` (which
/// names the fingerprint) is revalidated on every load.
public struct ConsoleAssets: Sendable {
    struct File: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    let fingerprint: String
    let index: [UInt8]
    /// Keyed by path below `/assets/<fingerprint>/`.
    let files: [String: File]
    /// Vendor libraries that were not found (the console runs without its charts).
    public let missingVendorFiles: [String]

    /// Vendor files: served name → path below the vendor directory.
    static let vendorFiles = [("vendor/chart.js", "chart.js/chart.min.js"), ("vendor/d3.js", "d3/d3.min.js")]
    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "json": "application/json",
    ]
    static let maximumFiles = 500
    static let maximumTotalBytes = 32 << 20

    public static func load(webDirectory: String, vendorDirectory: String) throws -> ConsoleAssets {
        let root = URL(fileURLWithPath: webDirectory).standardizedFileURL
        guard let template = FileManager.default.contents(atPath: root.appendingPathComponent("index.html").path)
        else { throw LoadError(description: "no index.html in \(webDirectory)") }
        var files: [String: File] = [:]
        var total = 0
        func add(_ name: String, _ bytes: [UInt8]) throws {
            total += bytes.count
            guard files.count < maximumFiles, total <= maximumTotalBytes else {
                throw LoadError(description: "\(webDirectory) holds more than the console may serve")
            }
            let type = contentTypes[(name as NSString).pathExtension] ?? "application/octet-stream"
            files[name] = File(bytes: bytes, contentType: type)
        }
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            let name = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, name != "index.html",
                contentTypes[url.pathExtension] != nil,
                !name.split(separator: "/").contains(where: { $0.hasPrefix(".") })
            else { continue }
            try add(name, Array(try Data(contentsOf: url)))
        }
        var missing: [String] = []
        for (name, path) in vendorFiles {
            let full = URL(fileURLWithPath: vendorDirectory).appendingPathComponent(path).path
            if let data = FileManager.default.contents(atPath: full) {
                try add(name, Array(data))
            } else {
                missing.append(full)
            }
        }
        var digestInput: [UInt8] = []
        for name in files.keys.sorted() {
            digestInput += Array(name.utf8) + [0] + Digest.sha256(files[name]!.bytes)
        }
        digestInput += Array(template)
        let fingerprint = String(Digest.sha256Hex(digestInput).prefix(16))
        let index = String(decoding: template, as: UTF8.self)
            .replacingOccurrences(of: "{{assets}}", with: "/assets/\(fingerprint)")
        return ConsoleAssets(
            fingerprint: fingerprint, index: Array(index.utf8), files: files, missingVendorFiles: missing)
    }
}
