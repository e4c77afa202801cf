import Foundation
import Integrity
import TarStream

/// Receives each entry's bytes while a bundle is verified, for extraction or a streaming push.
/// Bytes arrive before the entry's hash is checked: `finish` says the entry is verified; after
/// any failure `abandon` is called and nothing received may be kept.
public protocol BundleEntrySink {
    /// Called once the signature of `bundle.json` has verified, before any other entry.
    mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws
    mutating func begin(_ entry: BundleIndex.Entry) throws
    mutating func write(_ chunk: UnsafeRawBufferPointer) throws
    mutating func finish(_ entry: BundleIndex.Entry) throws
    mutating func abandon()
}

/// A verified bundle: its index, who signed it, and what was checked.
public struct VerifiedBundle: Sendable {
    public var index: BundleIndex
    public var signerFingerprint: String
    /// Whether the detached signature beside the archive (`FILE.sig`) covered every byte of it:
    /// `verified`, or `absent` (then the container is checked structurally, the content fully).
    public var archiveSignature: String
    public var entriesChecked: Int
    public var bytesChecked: Int64
}

/// Reads a bundle once, as a stream: the signature of `bundle.json` first (with one of the
/// trusted keys), then every entry against `bundle.json` — order, size, SHA-256, type and path.
public struct BundleVerifier {
    public let keys: [VerifyingKey]
    /// The largest `bundle.json` accepted.
    public static let indexLimit = 64 << 20

    public init(keys: [VerifyingKey]) { self.keys = keys }

    public func verify<Sink: BundleEntrySink>(_ path: String, into sink: inout Sink) throws -> VerifiedBundle {
        do {
            return try run(path, sink: &sink)
        } catch {
            sink.abandon()
            throw error
        }
    }

    public func verify(_ path: String) throws -> VerifiedBundle {
        var sink = DiscardingSink()
        return try verify(path, into: &sink)
    }

    /// The first two entries of a bundle, read and (with keys) checked.
    public struct SignedIndex {
        public var reader: TarReader
        public var index: BundleIndex
        public var indexBytes: [UInt8]
        public var signatureBytes: [UInt8]
        /// The fingerprint the signature names.
        public var signerFingerprint: String
        /// Whether the signature was checked against a trusted key.
        public var signatureVerified: Bool
        /// The trusted key that verified it.
        public var signerKey: VerifyingKey?
    }

    /// Opens the bundle and checks the signature of `bundle.json`, reading nothing else. With no
    /// keys (`inspect` without `--key`) the signature is not checked, and the result says so.
    public func readSignedIndex(_ path: String) throws -> SignedIndex {
        guard FileManager.default.isReadableFile(atPath: path) else { throw BundleError.usage("\(path): no such file, or not readable") }
        let reader: TarReader
        // The raw bytes are hashed (on a second thread) only when a detached signature is there to check them.
        let hashArchive = !keys.isEmpty && FileManager.default.fileExists(atPath: path + ".sig")
        do { reader = try TarReader(path: path, hashArchive: hashArchive) } catch { throw BundleError.verification("\(error)") }
        func fail(_ message: String) -> BundleError { .verification("\(path): \(message)") }
        let indexBytes = try readLeading(reader, expected: BundlePaths.index, path: path)
        let signatureBytes = try readLeading(reader, expected: BundlePaths.indexSignature, path: path)
        let signature: BundleIndexSignature
        do { signature = try JSONDecoder().decode(BundleIndexSignature.self, from: Data(signatureBytes)) } catch {
            throw fail("\(BundlePaths.indexSignature) is malformed: \(error.humanDescription)")
        }
        var signerKey: VerifyingKey?
        if !keys.isEmpty {
            let candidates = keys.compactMap { key -> (VerifyingKey, String)? in (try? key.fingerprint()).map { (key, $0) } }
            guard let (key, fingerprint) = candidates.first(where: { $0.1 == signature.keyFingerprint }) else {
                throw fail("bundle.json is signed by key \(signature.keyFingerprint), which is not among the trusted keys (\(candidates.map(\.1).joined(separator: ", ")))")
            }
            guard let signatureData = Data(base64Encoded: signature.signature), key.verify(Array(signatureData), for: indexBytes) else {
                throw fail("the signature of bundle.json does not verify with key \(fingerprint): bundle.json or its signature was changed")
            }
            signerKey = key
        }
        let index: BundleIndex
        do { index = try JSONDecoder().decode(BundleIndex.self, from: Data(indexBytes)) } catch {
            throw fail("bundle.json is malformed: \(error.humanDescription)")
        }
        guard index.formatVersion == BundlePaths.formatVersion else {
            throw fail("bundle format version \(index.formatVersion) is not supported (this tool reads version \(BundlePaths.formatVersion))")
        }
        return SignedIndex(reader: reader, index: index, indexBytes: indexBytes, signatureBytes: signatureBytes,
                           signerFingerprint: signature.keyFingerprint, signatureVerified: !keys.isEmpty, signerKey: signerKey)
    }

    private func run<Sink: BundleEntrySink>(_ path: String, sink: inout Sink) throws -> VerifiedBundle {
        guard !keys.isEmpty else { throw BundleError.usage("verification needs at least one trusted public key (--key)") }
        let signed = try readSignedIndex(path)
        let (reader, index, fingerprint) = (signed.reader, signed.index, signed.signerFingerprint)
        try sink.prepare(signed)
        func fail(_ message: String) -> BundleError { .verification("\(path): \(message)") }
        var position = 0
        // Names compare as UTF-8 bytes: Swift's String equality would let a different Unicode
        // spelling (NFD for NFC) pass for a signed name.
        var seen = Set<[UInt8]>()
        let declared = Dictionary(index.entries.map { (Array($0.path.utf8), $0) }, uniquingKeysWith: { first, _ in first })
        var bytes: Int64 = 0
        do {
            while let entry = try reader.next() {
                try EntryPolicy.check(entry, in: path)
                let name = Array(entry.path.utf8)
                guard let expected = declared[name] else { throw fail("entry \(entry.path) is not listed in bundle.json (an extra entry)") }
                guard !seen.contains(name) else { throw fail("entry \(entry.path) appears twice") }
                guard position < index.entries.count, Array(index.entries[position].path.utf8) == name else {
                    throw fail("entry \(entry.path) is out of order: bundle.json expects \(position < index.entries.count ? index.entries[position].path : "no more entries") here")
                }
                try EntryPolicy.checkCanonicalHeader(reader, path: expected.path, size: entry.size, in: path)
                if entry.size > expected.size { throw fail("entry \(entry.path) is larger than declared: \(entry.size) bytes, bundle.json says \(expected.size)") }
                if entry.size < expected.size { throw fail("entry \(entry.path) is smaller than declared: \(entry.size) bytes, bundle.json says \(expected.size)") }
                seen.insert(name)
                position += 1
                try sink.begin(expected)
                let hasher = SHA256Hasher()
                try reader.forEachChunk { chunk in
                    hasher.update(chunk)
                    try sink.write(chunk)
                }
                let actual = hasher.finalizeHex()
                guard actual == expected.sha256 else { throw fail("entry \(entry.path) was changed: its SHA-256 is \(actual), bundle.json says \(expected.sha256)") }
                try sink.finish(expected)
                bytes += entry.size
            }
        } catch let error as ArchiveError {
            throw BundleError.verification("\(error)")
        }
        if reader.extraZeroBytesAtEnd > 0 { throw fail("garbage after the end of the archive (\(reader.extraZeroBytesAtEnd) extra zero bytes)") }
        if position < index.entries.count {
            let missing = index.entries[position...].map(\.path)
            throw fail("\(missing.count) entr\(missing.count == 1 ? "y is" : "ies are") missing: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
        }
        let archiveSignature = try checkDetachedSignature(path, reader: reader, key: signed.signerKey)
        return VerifiedBundle(index: index, signerFingerprint: fingerprint, archiveSignature: archiveSignature, entriesChecked: position, bytesChecked: bytes)
    }

    /// `FILE.sig`, when it is there, must sign the SHA-256 of every byte of the archive (computed
    /// on a second thread while the archive streamed past): a changed byte anywhere — even one
    /// that decompresses to the same content — fails here.
    private func checkDetachedSignature(_ path: String, reader: TarReader, key: VerifyingKey?) throws -> String {
        let signaturePath = path + ".sig"
        guard let text = try? String(contentsOfFile: signaturePath, encoding: .utf8) else { return "absent" }
        guard let key, let digest = reader.archiveSHA256() else { return "absent" }
        guard let signature = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BundleError.verification("\(signaturePath): not a base64 signature")
        }
        guard key.verify(Array(signature), sha256Digest: digest) else {
            throw BundleError.verification("\(path): the detached signature \(signaturePath) does not match the archive: a byte of the archive was changed, or the .sig belongs to another archive")
        }
        return "verified"
    }

    private func readLeading(_ reader: TarReader, expected: String, path: String) throws -> [UInt8] {
        let entry: TarEntry?
        do { entry = try reader.next() } catch { throw BundleError.verification("\(error)") }
        guard let entry else { throw BundleError.verification("\(path): the archive ends before \(expected)") }
        guard Array(entry.path.utf8) == Array(expected.utf8), entry.kind == .regular else {
            throw BundleError.verification("\(path): the \(expected == BundlePaths.index ? "first" : "second") entry must be \(expected), found \(entry.kind.words) \(entry.path)\(expected == BundlePaths.indexSignature ? " (is the bundle unsigned?)" : "")")
        }
        try EntryPolicy.checkCanonicalHeader(reader, path: expected, size: entry.size, in: path)
        do { return try reader.readAll(limit: Self.indexLimit) } catch { throw BundleError.verification("\(error)") }
    }
}

/// A sink that keeps nothing (plain verification).
public struct DiscardingSink: BundleEntrySink {
    public init() {}
    public mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws {}
    public mutating func begin(_ entry: BundleIndex.Entry) throws {}
    public mutating func write(_ chunk: UnsafeRawBufferPointer) throws {}
    public mutating func finish(_ entry: BundleIndex.Entry) throws {}
    public mutating func abandon() {}
}

/// What an entry may be: a regular file with a clean relative path.
enum EntryPolicy {
    static func check(_ entry: TarEntry, in archive: String) throws {
        func fail(_ why: String) -> BundleError { .verification("\(archive): entry \(entry.path) \(why)") }
        guard entry.kind == .regular else { throw fail("is \(entry.kind.article) \(entry.kind.words)\(entry.linkTarget.map { " to \($0)" } ?? ""); bundles hold regular files only") }
        try checkPath(entry.path, fail)
    }

    /// The header must be exactly what `pack` writes: mode 0644, owner 0, time 0 — every byte accounted for.
    static func checkCanonicalHeader(_ reader: TarReader, path: String, size: Int64, in archive: String) throws {
        guard reader.headerBytes == TarWriter.headerBytes(path, size: size) else {
            throw BundleError.verification("\(archive): entry \(path) has a changed tar header (mode, owner, time or format differ from what pack writes)")
        }
    }

    static func checkPath(_ path: String, _ fail: (String) -> BundleError) throws {
        if path.isEmpty { throw fail("has an empty name") }
        if path.hasPrefix("/") { throw fail("has an absolute path") }
        if path.contains("\0") || path.contains("\\") { throw fail("has a NUL or backslash in its name") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { throw fail("climbs out of the bundle with '..'") }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { throw fail("has an empty or '.' path component") }
    }
}
