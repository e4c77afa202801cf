import Foundation
import Integrity
import TarStream

/// What became of the detached signature beside an archive (`FILE.sig`).
public enum ArchiveSignatureOutcome: String, Sendable, Codable {
    /// `FILE.sig` was there and signs the SHA-256 of every byte of the archive.
    case verified
    /// There was no `FILE.sig`; the content was still checked entry by entry against bundle.json.
    case absent
    /// Only some entries were read, by random access (a format-2 push rerun): each was checked
    /// against the signed bundle.json; `FILE.sig`, which covers every byte, was not checked.
    case notChecked = "not-checked"
}

/// `FILE.sig`: base64 text of a signature over the archive's SHA-256. A file that exists is either
/// a valid signature of this archive or a verification failure; it never counts as absent.
enum DetachedSignature {
    /// The most bytes read from `FILE.sig` (a signature is under 100 bytes of base64).
    static let sizeLimit = 4096

    /// The signature bytes, or nil when no `FILE.sig` exists. Anything else at that path — a
    /// directory, a FIFO, a device, a huge file, text that is not base64 — is refused, without
    /// waiting on it or reading more than `sizeLimit` bytes.
    static func load(beside archive: String) throws -> [UInt8]? {
        let path = archive + ".sig"
        func fail(_ why: String) -> BundleError { .verification("\(archive): the detached signature \(path) \(why)") }
        let text: [UInt8]
        do { text = try SmallFile.read(path, limit: sizeLimit) } catch {
            var status = stat()
            if case .missing = error {
                // A dangling symbolic link exists: it is not an absent signature.
                if lstat(path, &status) == 0 { throw fail("is a symbolic link to nothing") }
                return nil
            }
            throw fail("\(error)")
        }
        let base64 = text.filter { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }
        guard !base64.isEmpty, base64.allSatisfy(isBase64Character), let decoded = Data(base64Encoded: Data(base64)) else {
            throw fail("is not base64 text of a signature")
        }
        return Array(decoded)
    }

    /// Checks `signature` against the archive's SHA-256 (computed while it streamed past).
    static func check(_ signature: [UInt8], archiveDigest: [UInt8], key: VerifyingKey, archive: String) throws {
        guard key.verify(signature, sha256Digest: archiveDigest) else {
            throw BundleError.verification(
                "\(archive): the detached signature \(archive).sig does not match the archive: a byte of the archive was changed, or the .sig belongs to another archive"
            )
        }
    }

    private static func isBase64Character(_ byte: UInt8) -> Bool {
        (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2b || byte == 0x2f || byte == 0x3d
    }
}
