import CArchive
import Outcomes

/// How a bundle archive is compressed.
public enum Compression: String, Sendable, CaseIterable {
    case zstd
    case gzip
    case none

    /// The usual file suffix: `.tar.zst`, `.tar.gz`, `.tar`.
    public var fileSuffix: String {
        switch self {
        case .zstd: return ".tar.zst"
        case .gzip: return ".tar.gz"
        case .none: return ".tar"
        }
    }
}

/// A failure reading or writing an archive, naming the file.
public struct ArchiveError: ExitStatusError, Sendable {
    /// What went wrong: the archive's bytes (`damaged`), or reading the file at all (`unreadable`:
    /// missing, not a regular file, permissions, I/O errors).
    public enum Kind: Sendable { case damaged, unreadable }
    public let kind: Kind
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
    /// Damaged bytes fail verification (1); a file that cannot be read is an I/O problem (2).
    public var exitStatus: ExitStatus { kind == .unreadable ? .usage : .failed }
    public init(path: String, message: String, kind: Kind = .damaged) {
        self.kind = kind
        self.path = path
        self.message = message
    }
}

/// libarchive's last error message for `archive`.
func libarchiveError(_ archive: OpaquePointer) -> String {
    guard let message = archive_error_string(archive) else { return "unknown libarchive error" }
    return String(cString: message)
}
