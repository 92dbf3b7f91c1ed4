import API
import HTTP
import Logging

/// Finds and loads the console's files for `palisade serve`. A server without them still runs
/// the API (and says so at `/`); missing Chart.js or d3 leave the console without charts.
enum Console {
    static func load(_ configuration: ServerConfiguration, logger: Logger) -> ConsoleAssets? {
        guard
            let directory = configuration.webDirectory
                ?? BundledDirectory.locate(
                    "Web", containing: "index.html", environmentVariable: "PALISADE_WEB_DIR",
                    installed: "/usr/share/palisade/web")
        else {
            logger.warning("console files not found; set --web-dir to serve the console")
            return nil
        }
        do {
            let assets = try ConsoleAssets.load(
                webDirectory: directory, vendorDirectory: configuration.webVendorDirectory)
            for path in assets.missingVendorFiles {
                logger.warning(
                    "console library missing: install libjs-chart.js and libjs-d3 or set --web-vendor-dir",
                    ["path": path])
            }
            return assets
        } catch {
            logger.warning("console files not loaded", ["error": "\(error)"])
            return nil
        }
    }
}
