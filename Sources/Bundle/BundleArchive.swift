import Integrity
import OCI
import TarStream

/// Random access into a format-2 (seekable) bundle, for a reader that serves entries straight
/// from the signed archive — a registry over its image blobs, a rerun that needs a few blobs.
///
/// Opening checks the signature of `bundle.json` and locates every entry from the signed
/// `bundle.json` and the seek table alone (each header is exactly what pack writes, so its length
/// is known; the table must cut the stream as pack does), decompressing no entry body.
///
/// Reads decompress only the frames that hold the bytes asked for. A whole-entry read also checks
/// its tar header and SHA-256 and fails at the end if either differs; a partial read cannot be
/// checked (run `verify` first when that matters). Safe to share between threads.
public final class BundleArchive: Sendable {
    /// Where one entry lies in the decompressed tar stream.
    public struct Location: Sendable, Hashable {
        public let entry: BundleIndex.Entry
        /// The offset of its first header byte (a frame start) and of its first data byte.
        public let headerOffset: Int64
        public let dataOffset: Int64
        /// The frame its header starts.
        public let firstFrame: Int
    }

    public let path: String
    public let index: BundleIndex
    public let signerFingerprint: String
    private let reader: SeekableReader
    private let locations: [String: Location]

    /// Opens `path` (or its parts) and checks `bundle.json`'s signature with one of `keys`.
    public init(path: String, keys: [VerifyingKey]) throws {
        guard !keys.isEmpty else { throw BundleError.usage("random access needs at least one trusted public key (--key)") }
        let signed = try BundleVerifier(keys: keys).readSignedIndex(path)
        guard signed.index.formatVersion == 2 else {
            throw BundleError.usage(
                "\(path) is a format-\(signed.index.formatVersion) bundle: random access needs format 2 (pack it again without --format 1)")
        }
        do { reader = try SeekableReader(path: path) } catch let error as ArchiveError { throw BundleError.from(error) }
        self.path = path
        index = signed.index
        signerFingerprint = signed.signerFingerprint
        var layout = SeekTable.LayoutCheck(reader.table)
        var offset: Int64 = 0
        var found: [String: Location] = [:]
        let units =
            [(BundlePaths.index, Int64(signed.indexBytes.count), nil), (BundlePaths.indexSignature, Int64(signed.signatureBytes.count), nil)]
            + index.entries.map { ($0.path, $0.size, Optional($0)) }
        for (name, size, entry) in units {
            let first = layout.next
            let length = TarWriter.unitLength(name, size: size)
            guard layout.take(unit: length) else {
                throw BundleError.verification(
                    "\(path): the seek table does not cut the archive as pack does at entry \(name) (frame \(layout.next)): it does not match the signed bundle.json"
                )
            }
            if let entry {
                let header = Int64(TarWriter.headerBytes(name, size: size).count)
                found[name] = Location(entry: entry, headerOffset: offset, dataOffset: offset + header, firstFrame: first)
            }
            // bundle.json's sizes were checked to add up without overflow, and the table to cover them.
            offset += length
        }
        guard layout.take(unit: TarWriter.endMarkerLength), layout.complete else {
            throw BundleError.verification("\(path): the seek table lists frames that do not match the signed bundle.json's entries")
        }
        locations = found
    }

    /// The entry at `entryPath` (as `bundle.json` lists it); nil if there is none.
    public func location(of entryPath: String) -> Location? { locations[entryPath] }

    /// The image blob (or manifest) with `digest`; nil if the bundle does not carry it.
    public func location(ofBlob digest: Digest) -> Location? {
        locations[BundlePaths.blob(digest)]
    }

    /// Hands bytes `range` of the entry (all of it when nil) to `body`, in order. A whole-entry
    /// read checks the entry's tar header and SHA-256 and throws after the last byte if either
    /// does not match `bundle.json` (the caller must then discard what it received).
    public func read(_ location: Location, range: Range<Int64>? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let size = location.entry.size
        let wanted = range ?? 0..<size
        guard wanted.lowerBound >= 0, wanted.upperBound <= size else {
            throw BundleError.usage("\(path): bytes \(wanted) are outside entry \(location.entry.path) of \(size) bytes")
        }
        let whole = wanted == 0..<size
        do {
            guard whole else {
                try reader.read((location.dataOffset + wanted.lowerBound)..<(location.dataOffset + wanted.upperBound), body)
                return
            }
            let expectedHeader = TarWriter.headerBytes(location.entry.path, size: size)
            var header: [UInt8] = []
            let hasher = SHA256Hasher()
            try reader.read(location.headerOffset..<(location.dataOffset + size)) { chunk in
                var data = chunk
                if header.count < expectedHeader.count {
                    let take = min(expectedHeader.count - header.count, chunk.count)
                    header += chunk[0..<take]
                    data = UnsafeRawBufferPointer(rebasing: chunk[take...])
                    if header.count == expectedHeader.count, header != expectedHeader {
                        throw BundleError.verification("\(path): entry \(location.entry.path) has a changed tar header")
                    }
                }
                guard !data.isEmpty else { return }
                hasher.update(data)
                try body(data)
            }
            let actual = hasher.finalizeHex()
            guard actual == location.entry.sha256 else {
                throw BundleError.verification(
                    "\(path): entry \(location.entry.path) was changed: its SHA-256 is \(actual), bundle.json says \(location.entry.sha256)")
            }
        } catch let error as ArchiveError {
            throw BundleError.from(error)
        }
    }
}
