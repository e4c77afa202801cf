import Foundation

extension BoundedYAML {
    /// A file's bytes, read no further than `limits.maximumBytes` (one byte more shows it is
    /// over): a huge or endless file (`/dev/zero`) costs no more than the limit. Throws
    /// `Refusal.tooLargeToRead` naming the limit, or the file system's error.
    public static func readFile(_ path: String, limits: Limits) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limits.maximumBytes + 1) ?? Data()
        guard data.count <= limits.maximumBytes else { throw Refusal.tooLargeToRead(limit: limits.maximumBytes) }
        return data
    }
}
