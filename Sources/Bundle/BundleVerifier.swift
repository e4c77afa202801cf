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
    /// Whether the detached signature beside the archive (`FILE.sig`) covered every byte of it.
    public var archiveSignature: ArchiveSignatureOutcome
    public var entriesChecked: Int
    public var bytesChecked: Int64

    public init(index: BundleIndex, signerFingerprint: String, archiveSignature: ArchiveSignatureOutcome, entriesChecked: Int, bytesChecked: Int64) {
        self.index = index
        self.signerFingerprint = signerFingerprint
        self.archiveSignature = archiveSignature
        self.entriesChecked = entriesChecked
        self.bytesChecked = bytesChecked
    }
}

/// Reads a bundle once, as a stream: the signature of `bundle.json` first (with one of the
/// trusted keys), then every entry against `bundle.json` — order, size, SHA-256, type and path.
///
/// Before the signature is checked only bounded work is done: `bundle.json` and its signature are
/// read with size limits, headers with limits on extended data, and every number with checked
/// arithmetic (see the threat model in docs/security-guide.md).
public struct BundleVerifier: Sendable {
    public let keys: [VerifyingKey]
    /// When true, a missing `FILE.sig` is a verification failure instead of `absent`.
    public var requireArchiveSignature: Bool
    /// The largest `bundle.json` accepted.
    public static let indexLimit = 8 << 20
    /// Cores a plain verification of a format-2 archive may decompress and hash on (one per
    /// core, at most 8); 1 reads it as one stream.
    public var threads = min(8, ProcessInfo.processInfo.activeProcessorCount)

    public init(keys: [VerifyingKey], requireArchiveSignature: Bool = false) {
        self.keys = keys
        self.requireArchiveSignature = requireArchiveSignature
    }

    public func verify<Sink: BundleEntrySink>(_ path: String, into sink: inout Sink) throws -> VerifiedBundle {
        do {
            return try run(path, sink: &sink)
        } catch {
            sink.abandon()
            throw error
        }
    }

    /// Plain verification, keeping nothing: a format-2 archive is checked on `threads` cores
    /// (`ParallelVerification`), anything else as one stream. `onTrusted` is called once
    /// bundle.json's signature verified; `progress` with entry bytes as they are checked.
    public func verify(
        _ path: String, onTrusted: @escaping (SignedIndex) -> Void = { _ in }, progress: @escaping (Int64) -> Void = { _ in }
    ) throws -> VerifiedBundle {
        var sink = ClosureSink(onTrusted: onTrusted, progress: progress)
        guard threads > 1 else { return try verify(path, into: &sink) }
        guard !keys.isEmpty else { throw BundleError.usage("verification needs at least one trusted public key (--key)") }
        let detached = try loadDetachedSignature(path)
        let signed = try readSignedIndex(path)
        guard let table = signed.reader.seekTable else { return try verify(path, into: &sink) }
        onTrusted(signed)
        let parallel = try ParallelVerification(path: path, signed: signed, table: table, threads: threads)
        let digest = try parallel.run(hashFile: detached != nil, progress: progress)
        var archiveSignature = ArchiveSignatureOutcome.absent
        if let detached, let digest, let key = signed.signerKey {
            try DetachedSignature.check(detached, archiveDigest: digest, key: key, archive: ArchiveParts.logicalPath(path))
            archiveSignature = .verified
        }
        return VerifiedBundle(
            index: signed.index, signerFingerprint: signed.signerFingerprint, archiveSignature: archiveSignature,
            entriesChecked: signed.index.entries.count, bytesChecked: signed.index.entriesSize)
    }

    /// `FILE.sig` beside the archive, read (bounded) before it; nil when absent and not required.
    public func loadDetachedSignature(_ path: String) throws -> [UInt8]? {
        let detached = try DetachedSignature.load(beside: ArchiveParts.logicalPath(path))
        if detached == nil, requireArchiveSignature {
            throw BundleError.verification(
                "\(path): there is no detached signature \(ArchiveParts.logicalPath(path)).sig, and --require-archive-signature asks for one")
        }
        return detached
    }

    /// The failure of a format-2 archive whose frames are not cut as pack cuts them.
    static func frameLayoutFailure(_ path: String, _ what: String, _ frame: Int) -> BundleError {
        .verification(
            "\(path): \(what) does not start its own zstd frame or is not cut every \(SeekTable.frameSize >> 20) MiB as pack cuts it (seek table frame \(frame)): a frame spans two entries, or the table lies"
        )
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
        /// The size of the archive file as stored.
        public var archiveSize: Int64
    }

    /// Opens the bundle and checks the signature of `bundle.json`, reading nothing else. With no
    /// keys (`inspect` without `--key`) the signature is not checked, and the result says so.
    /// `hashArchive`: the reader hashes every raw byte of the archive (for `FILE.sig`).
    public func readSignedIndex(_ path: String, hashArchive: Bool = false) throws -> SignedIndex {
        let reader: TarReader
        do { reader = try TarReader(path: path, hashArchive: hashArchive) } catch let error as ArchiveError { throw BundleError.from(error) }
        func fail(_ message: String) -> BundleError { .verification("\(path): \(message)") }
        let indexBytes = try readLeading(reader, expected: BundlePaths.index, limit: Self.indexLimit, path: path)
        let signatureBytes = try readLeading(reader, expected: BundlePaths.indexSignature, limit: BundleIndexSignature.sizeLimit, path: path)
        let signature: BundleIndexSignature
        do { signature = try JSONDecoder().decode(BundleIndexSignature.self, from: Data(signatureBytes)) } catch {
            throw fail("\(BundlePaths.indexSignature) is malformed: \(error.humanDescription)")
        }
        var signerKey: VerifyingKey?
        if !keys.isEmpty {
            let key = try trustedKey(named: signature.keyFingerprint, path: path)
            guard signature.keyType == key.type else {
                throw fail(
                    "\(BundlePaths.indexSignature) names algorithm \"\(signature.algorithm.prefix(40))\", but the trusted key \(signature.keyFingerprint) is \(key.type.rawValue)"
                )
            }
            guard let signatureData = Data(base64Encoded: signature.signature), key.verify(Array(signatureData), for: indexBytes) else {
                throw fail(
                    "the signature of bundle.json does not verify with key \(signature.keyFingerprint): bundle.json or its signature was changed")
            }
            if key.type == .ecdsaP256, let problem = ECDSASignature.canonicalProblem(Array(signatureData)) {
                throw fail("the signature of bundle.json verifies, but \(problem); pack writes only one form, so this one was altered")
            }
            signerKey = key
        }
        _ = try BundleIndexSignature.decodeCanonical(signatureBytes, archive: path)
        let index = try BundleIndex.decodeChecked(indexBytes, archive: path, names: !keys.isEmpty)
        // Format 2 is exactly zstd's seekable format, format 1 never is.
        if index.formatVersion == 2, reader.seekTable == nil {
            throw fail(
                "bundle.json says format 2, but the archive is not in zstd's seekable format (no seek table at its end: \(reader.compression == .zstd ? "one zstd frame" : reader.compression.rawValue))"
            )
        }
        if index.formatVersion == 1, reader.seekTable != nil {
            throw fail("bundle.json says format 1, but the archive ends with a seek table (format 2)")
        }
        return SignedIndex(
            reader: reader, index: index, indexBytes: indexBytes, signatureBytes: signatureBytes,
            signerFingerprint: signature.keyFingerprint, signatureVerified: !keys.isEmpty, signerKey: signerKey,
            archiveSize: reader.archiveSize)
    }

    private func trustedKey(named fingerprint: String, path: String) throws -> VerifyingKey {
        var known: [String] = []
        for key in keys {
            let candidate: String
            do { candidate = try key.fingerprint() } catch { throw BundleError.usage("cannot compute the fingerprint of a trusted key: \(error)") }
            if candidate == fingerprint { return key }
            known.append(candidate)
        }
        throw BundleError.verification(
            "\(path): bundle.json is signed by key \(fingerprint.prefix(80)), which is not among the trusted keys (\(known.joined(separator: ", ")))")
    }

    private func run<Sink: BundleEntrySink>(_ path: String, sink: inout Sink) throws -> VerifiedBundle {
        guard !keys.isEmpty else { throw BundleError.usage("verification needs at least one trusted public key (--key)") }
        // The detached signature is read (bounded) before the archive: if it is there, every raw
        // byte of the archive is hashed on a second thread while it streams past.
        let detached = try loadDetachedSignature(path)
        let signed = try readSignedIndex(path, hashArchive: detached != nil)
        let (reader, index, fingerprint) = (signed.reader, signed.index, signed.signerFingerprint)
        try sink.prepare(signed)
        func fail(_ message: String) -> BundleError { .verification("\(path): \(message)") }
        var position = 0
        // Names compare as UTF-8 bytes: Swift's String equality would let a different Unicode
        // spelling (NFD for NFC) pass for a signed name.
        var bytes: Int64 = 0
        // Format 2: every entry starts its own frames, cut as pack cuts them.
        var layout = reader.seekTable.map(SeekTable.LayoutCheck.init)
        func checkFrames(_ unit: Int64, _ what: String) throws {
            guard layout != nil else { return }
            guard layout!.take(unit: unit) else { throw Self.frameLayoutFailure(path, what, layout!.next) }
        }
        try checkFrames(TarWriter.unitLength(BundlePaths.index, size: Int64(signed.indexBytes.count)), "bundle.json")
        try checkFrames(TarWriter.unitLength(BundlePaths.indexSignature, size: Int64(signed.signatureBytes.count)), "bundle.json.sig")
        do {
            while let entry = try reader.next() {
                try EntryPolicy.check(entry, in: path)
                let name = Array(entry.path.utf8)
                guard position < index.entries.count, Array(index.entries[position].path.utf8) == name else {
                    // Only on failure: say whether the entry repeats, is unknown, or is misplaced.
                    if index.entries[..<position].contains(where: { Array($0.path.utf8) == name }) { throw fail("entry \(entry.path) appears twice") }
                    if !index.entries.contains(where: { Array($0.path.utf8) == name }) {
                        throw fail("entry \(entry.path) is not listed in bundle.json (an extra entry)")
                    }
                    throw fail("entry \(entry.path) is out of order: bundle.json expects \(index.entries[position].path) here")
                }
                let expected = index.entries[position]
                try EntryPolicy.checkCanonicalHeader(reader, path: expected.path, size: entry.size, in: path)
                if entry.size > expected.size {
                    throw fail("entry \(entry.path) is larger than declared: \(entry.size) bytes, bundle.json says \(expected.size)")
                }
                if entry.size < expected.size {
                    throw fail("entry \(entry.path) is smaller than declared: \(entry.size) bytes, bundle.json says \(expected.size)")
                }
                position += 1
                try checkFrames(TarWriter.unitLength(expected.path, size: expected.size), "entry \(entry.path)")
                try sink.begin(expected)
                let hasher = SHA256Hasher()
                try reader.forEachChunk { chunk in
                    hasher.update(chunk)
                    try sink.write(chunk)
                }
                let actual = hasher.finalizeHex()
                guard actual == expected.sha256 else {
                    throw fail("entry \(entry.path) was changed: its SHA-256 is \(actual), bundle.json says \(expected.sha256)")
                }
                try sink.finish(expected)
                // bundle.json's sizes were checked to add up without overflow.
                bytes += entry.size
            }
        } catch let error as ArchiveError {
            throw BundleError.from(error)
        }
        if position < index.entries.count {
            let missing = index.entries[position...].map(\.path)
            throw fail(
                "\(missing.count) entr\(missing.count == 1 ? "y is" : "ies are") missing: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")"
            )
        }
        try checkFrames(TarWriter.endMarkerLength, "the end-of-archive marker")
        if let layout, !layout.complete {
            throw fail("the seek table lists \(layout.table.frames.count - layout.next) frame(s) after the end-of-archive marker")
        }
        var archiveSignature = ArchiveSignatureOutcome.absent
        if let detached, let key = signed.signerKey {
            guard let digest = reader.archiveSHA256() else { throw fail("the archive was not read to its end") }
            try DetachedSignature.check(detached, archiveDigest: digest, key: key, archive: ArchiveParts.logicalPath(path))
            archiveSignature = .verified
        }
        return VerifiedBundle(
            index: index, signerFingerprint: fingerprint, archiveSignature: archiveSignature, entriesChecked: position, bytesChecked: bytes)
    }

    private func readLeading(_ reader: TarReader, expected: String, limit: Int, path: String) throws -> [UInt8] {
        do {
            guard let entry = try reader.next() else { throw BundleError.verification("\(path): the archive ends before \(expected)") }
            guard Array(entry.path.utf8) == Array(expected.utf8), entry.kind == .regular else {
                throw BundleError.verification(
                    "\(path): the \(expected == BundlePaths.index ? "first" : "second") entry must be \(expected), found \(entry.kind.words) \(entry.path)\(expected == BundlePaths.indexSignature ? " (is the bundle unsigned?)" : "")"
                )
            }
            try EntryPolicy.checkCanonicalHeader(reader, path: expected, size: entry.size, in: path)
            return try reader.readAll(limit: limit)
        } catch let error as ArchiveError {
            throw BundleError.from(error)
        }
    }
}

/// Plain verification's sink: nothing kept, progress reported.
struct ClosureSink: BundleEntrySink {
    let onTrusted: (BundleVerifier.SignedIndex) -> Void
    let progress: (Int64) -> Void
    mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws { onTrusted(signed) }
    mutating func begin(_ entry: BundleIndex.Entry) throws {}
    mutating func write(_ chunk: UnsafeRawBufferPointer) throws { progress(Int64(chunk.count)) }
    mutating func finish(_ entry: BundleIndex.Entry) throws {}
    mutating func abandon() {}
}

/// What an entry may be: a regular file with a clean relative path.
enum EntryPolicy {
    static func check(_ entry: TarEntry, in archive: String) throws {
        func fail(_ why: String) -> BundleError { .verification("\(archive): entry \(entry.path) \(why)") }
        guard entry.kind == .regular else {
            throw fail("is \(entry.kind.article) \(entry.kind.words)\(entry.linkTarget.map { " to \($0)" } ?? ""); bundles hold regular files only")
        }
        if let problem = EntryNamePolicy.problem(with: entry.path) { throw fail(problem) }
    }

    /// The header must be exactly what `pack` writes: mode 0644, owner 0, time 0 — every byte accounted for.
    static func checkCanonicalHeader(_ reader: TarReader, path: String, size: Int64, in archive: String) throws {
        guard reader.headerBytes == TarWriter.headerBytes(path, size: size) else {
            throw BundleError.verification(
                "\(archive): entry \(path) has a changed tar header (mode, owner, time or format differ from what pack writes)")
        }
    }
}
