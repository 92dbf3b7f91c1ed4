import Foundation
import Testing

@testable import API

@Suite("The console's files")
struct ConsoleAssetsTests {
    /// A throwaway Web directory and vendor directory with the given files.
    func directories(_ web: [String: String], vendor: [String: String] = [:]) throws -> (String, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString)")
        for (files, folder) in [(web, "web"), (vendor, "vendor")] {
            let base = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            for (name, text) in files {
                let url = base.appendingPathComponent(name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
        return (root.appendingPathComponent("web").path, root.appendingPathComponent("vendor").path)
    }

    let vendor = ["chart.js/chart.min.js": "/* chart */", "d3/d3.min.js": "/* d3 */"]

    @Test("index.html names the fingerprinted asset path; assets and vendor files are served under it")
    func fingerprint() throws {
        let (web, vendorDirectory) = try directories(
            ["index.html": "<script src=\"{{assets}}/js/main.js\"></script>", "js/main.js": "1", "console.css": "a{}"],
            vendor: vendor)
        let assets = try ConsoleAssets.load(webDirectory: web, vendorDirectory: vendorDirectory)
        let index = String(decoding: assets.index, as: UTF8.self)
        #expect(index == "<script src=\"/assets/\(assets.fingerprint)/js/main.js\"></script>")
        #expect(assets.fingerprint.count == 16)
        #expect(Set(assets.files.keys) == ["js/main.js", "console.css", "vendor/chart.js", "vendor/d3.js"])
        #expect(assets.files["js/main.js"]?.contentType == "text/javascript; charset=utf-8")
        #expect(assets.missingVendorFiles.isEmpty)
    }

    @Test("any change to any file gives every asset a new fingerprint")
    func changesRename() throws {
        let (webA, vendorA) = try directories(["index.html": "x", "js/a.js": "1"], vendor: vendor)
        let (webB, vendorB) = try directories(["index.html": "x", "js/a.js": "2"], vendor: vendor)
        let (webC, vendorC) = try directories(["index.html": "x", "js/a.js": "1"], vendor: vendor)
        let a = try ConsoleAssets.load(webDirectory: webA, vendorDirectory: vendorA).fingerprint
        let b = try ConsoleAssets.load(webDirectory: webB, vendorDirectory: vendorB).fingerprint
        let c = try ConsoleAssets.load(webDirectory: webC, vendorDirectory: vendorC).fingerprint
        #expect(a != b)
        #expect(a == c)
    }

    @Test("hidden files and unknown types are not served; missing vendor libraries are reported")
    func filtering() throws {
        let (web, vendorDirectory) = try directories([
            "index.html": "x", ".git/config": "secret", "js/.swap.js": "1", "notes.txt": "n", "js/ok.js": "1",
        ])
        let assets = try ConsoleAssets.load(webDirectory: web, vendorDirectory: vendorDirectory)
        #expect(Set(assets.files.keys) == ["js/ok.js"])
        #expect(assets.missingVendorFiles.count == 2)
    }

    @Test("a directory without index.html is refused with a clear reason")
    func noIndex() throws {
        let (web, vendorDirectory) = try directories(["js/a.js": "1"])
        #expect(throws: ConsoleAssets.LoadError.self) {
            try ConsoleAssets.load(webDirectory: web, vendorDirectory: vendorDirectory)
        }
    }
}
