#if canImport(Glibc)
    import Glibc
#endif

/// Free space on the file system that holds a path, for checks before large writes.
public enum DiskSpace {
    /// Bytes an unprivileged writer may still use at `path` (or its nearest existing parent).
    public static func available(at path: String) -> Int64? {
        var probe = path
        while !probe.isEmpty {
            var stats = statvfs()
            if statvfs(probe, &stats) == 0 {
                let (bytes, overflow) = Int64(stats.f_bavail).multipliedReportingOverflow(by: Int64(stats.f_frsize))
                return overflow ? Int64.max : bytes
            }
            guard let slash = probe.lastIndex(of: "/") else { probe = "."; continue }
            probe = slash == probe.startIndex ? "/" : String(probe[..<slash])
            if probe == "/" {
                var root = statvfs()
                return statvfs("/", &root) == 0 ? Int64(root.f_bavail) * Int64(root.f_frsize) : nil
            }
        }
        return nil
    }

    /// Fails with the numbers when fewer than `needed` bytes are free at `path`.
    public static func require(_ needed: Int64, at path: String, for purpose: String) throws(DiskSpaceError) {
        guard let free = available(at: path), free < needed else { return }
        throw DiskSpaceError(path: path, needed: needed, free: free, purpose: purpose)
    }
}

/// Not enough free disk for a write, with the numbers.
public struct DiskSpaceError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let needed: Int64
    public let free: Int64
    public let purpose: String
    public var description: String {
        "not enough free disk at \(path) to \(purpose): \(needed) bytes needed, \(free) free; free some space or choose another directory"
    }
}
