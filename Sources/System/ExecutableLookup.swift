import Foundation

/// Finds a program as a shell would: the path given, else the first executable of that name in
/// a directory of `PATH`.
public enum ExecutableLookup {
    /// `explicit` when it is executable (nil when it is not), else `name` on `PATH`.
    public static func find(_ name: String, explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String?
    {
        if let explicit { return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
