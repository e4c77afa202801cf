import Foundation

/// Paths tests need: the repository, its built binaries, fresh scratch directories.
public enum TestPaths {
    /// The repository root (this file is Tests/TestSupport/TestPaths.swift).
    public static let repository: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    public static var servers: String { repository + "/Tests/Servers" }

    /// A built executable of this package (`airgap-bundle`), next to the test bundle.
    public static func binary(_ name: String) throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["AIRGAP_BIN_DIR"] { candidates.append(explicit + "/" + name) }
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
        candidates += [bundleDir + "/" + name, repository + "/.build/debug/" + name]
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        throw TestSupportError("\(name) is not built (looked in \(candidates.joined(separator: ", "))); run swift build first")
    }

    /// A new empty directory under the system temp dir.
    public static func scratch(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("airgap-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
