import Foundation

/// Finds a directory that ships with Palisade (`Migrations`, `Web`): named by an environment
/// variable, else beside the executable or up to five levels above it (a source checkout's
/// `.build/<config>/`), else installed under `/usr/share/palisade`.
public enum BundledDirectory {
    public static func locate(
        _ name: String, containing marker: String, environmentVariable: String, installed: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        if let explicit = environment[environmentVariable] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate + "/" + marker) { return candidate }
            directory.deleteLastPathComponent()
        }
        return FileManager.default.fileExists(atPath: installed + "/" + marker) ? installed : nil
    }
}
