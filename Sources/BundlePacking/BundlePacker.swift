import Bundle
import ChartFormat
import Foundation
import Integrity
import OCI
import System
import TarStream

/// Options of `pack`.
public struct PackOptions: Sendable {
    public var name: String?
    public var version: String?
    /// The creation time written to `bundle.json`; default: `SOURCE_DATE_EPOCH`, else the newest staged file.
    public var created: Date?
    public var compression: Compression = .zstd
    /// The bundle format: 2 (zstd's seekable format, the default with zstd) or 1 (one zstd
    /// frame, for sites with older tools; the default with gzip or no compression).
    public var format: Int?
    public var compressionLevel: Int?
    /// zstd compresses on this many threads (when more than 1). The default is one per core,
    /// like `zstd -T0`, but at least 2 and at most 8 (each thread holds its own buffers).
    /// Any count from 2 up gives the same bytes.
    public var threads = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))
    /// A delta: the bundle it builds on, and the layers that bundle carried, which this one may
    /// leave out (they are listed, not shipped).
    public var base: BundleIndex.Base?
    public var baseBlobs: Set<Digest> = []
    /// The tool recorded in `bundle.json` (the executable passes its own name and version).
    public var builder: BundleIndex.Builder

    public init(builder: BundleIndex.Builder) { self.builder = builder }
}

/// What `pack` wrote.
public struct PackResult: Sendable {
    public var archivePath: String
    public var signaturePath: String
    public var index: BundleIndex
    public var archiveSize: Int64
    public var archiveSHA256: String
    public var signerFingerprint: String
    /// Image blobs whose SHA-256 was taken from their names (the layout carries the mark of our
    /// durable writes) and checked as they were written into the archive.
    public var blobsTrustedByName = 0
    /// Staged files hashed before writing the archive (everything else).
    public var filesHashedFirst = 0
}

/// Packs a staged directory into a signed bundle: learns every file's SHA-256 (see
/// `StagedDigests`), computes `bundle.json`, `checksums.sha256` and the SBOM, signs
/// `bundle.json`, writes the archive to a temporary file while hashing its compressed bytes,
/// `fsync`s it and renames it into place, then writes the detached signature of the whole archive.
///
/// Each input file is read once while the archive is written (plus once before, for files whose
/// digest is not known from their name), and the archive is never read back.
public enum BundlePacker {
    public static func pack(directory: String, key: SigningKey, output: String, options: PackOptions) throws -> PackResult {
        let format = options.format ?? (options.compression == .zstd ? BundlePaths.formatVersion : 1)
        guard BundlePaths.formatVersions.contains(format) else {
            throw BundleError.usage("bundle format \(format) is not one this tool writes (1 or 2)")
        }
        guard format == 1 || options.compression == .zstd else {
            throw BundleError.usage("bundle format 2 is zstd's seekable format; with --compression \(options.compression.rawValue) use --format 1")
        }
        let staged = try StagedDirectory(root: directory)
        let digests = try StagedDigests(staged)
        let hashes = digests.hex

        let created = options.created ?? sourceDateEpoch() ?? staged.files.map(\.modified).max() ?? Date(timeIntervalSince1970: 0)
        let createdText = rfc3339(created)
        let name = options.name ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        let version = options.version ?? "0.0.0"

        var charts: [BundleIndex.Chart] = [], files: [BundleIndex.File] = []
        var components: [BundleIndex.Component] = []
        for (file, sha) in zip(staged.files, hashes) {
            if file.path.hasPrefix(BundlePaths.charts), file.path.hasSuffix(".tgz") {
                let meta: ChartMetadataFile
                do { meta = try ChartMetadataFile.read(archive: file.absolutePath) } catch let error as ChartFormatError {
                    throw error.kind == .unreadable ? BundleError.io(error.message) : BundleError.usage(error.message)
                }
                charts.append(BundleIndex.Chart(path: file.path, name: meta.name, version: meta.version, size: file.size, sha256: sha))
            } else if file.path.hasPrefix(BundlePaths.files) {
                files.append(BundleIndex.File(path: file.path, size: file.size, sha256: sha))
            } else if file.path == BundlePaths.stagedComponents {
                do {
                    components = try JSONDecoder().decode(
                        [BundleIndex.Component].self, from: Data(contentsOf: URL(fileURLWithPath: file.absolutePath)))
                } catch {
                    throw BundleError.usage("\(file.absolutePath): not a list of components: \(error.humanDescription)")
                }
            }
        }
        let images = try ImageCatalog.images(in: staged, baseBlobs: options.baseBlobs)
        let sbom = SoftwareBillOfMaterials.make(
            name: name, version: version, created: createdText, charts: charts, images: images, files: files, builder: options.builder)

        // Every entry after the signature, in archive order: checksums, then everything sorted by path.
        var content: [(entry: BundleIndex.Entry, source: Source)] = staged.files.indices.map { index in
            let file = staged.files[index]
            let source: Source = digests.trustedByName[index] ? .trustedBlob(file.absolutePath) : .file(file.absolutePath)
            return (BundleIndex.Entry(path: file.path, size: file.size, sha256: hashes[index]), source)
        }
        content.append((BundleIndex.Entry(path: BundlePaths.sbom, size: Int64(sbom.count), sha256: SHA256Hasher.hex(of: sbom)), .bytes(sbom)))
        content.sort { Array($0.entry.path.utf8).lexicographicallyPrecedes(Array($1.entry.path.utf8)) }
        let checksums = Array(content.map { "\($0.entry.sha256)  \($0.entry.path)\n" }.joined().utf8)
        content.insert(
            (
                BundleIndex.Entry(path: BundlePaths.checksums, size: Int64(checksums.count), sha256: SHA256Hasher.hex(of: checksums)),
                .bytes(checksums)
            ), at: 0)

        var index = BundleIndex(
            formatVersion: format, name: name, version: version, created: createdText,
            builder: options.builder, components: components, charts: charts, images: images, files: files,
            entries: content.map(\.entry))
        index.base = options.base
        if let problem = index.firstProblem() ?? index.namesProblem() { throw BundleError.usage("cannot pack \(directory): bundle.json \(problem)") }
        let indexBytes = try BundleCodec.encode(index)
        let fingerprint = try key.publicKey.fingerprint()
        let signature = BundleIndexSignature(
            algorithm: BundleIndexSignature.algorithmName(for: key.type), keyFingerprint: fingerprint,
            signature: Data(try key.sign(indexBytes)).base64EncodedString())
        let signatureBytes = try BundleCodec.encode(signature)

        // An `AtomicFile` beside the output (removed on any failure), put in place only when
        // complete and on disk.
        let file: AtomicFile
        do { file = try AtomicFile(output, mode: 0o644) } catch { throw BundleError.io("cannot write \(output): \(error)") }
        let written = try writeArchive(
            into: file, output: output, options: options, seekable: format == 2,
            head: [(BundlePaths.index, indexBytes), (BundlePaths.indexSignature, signatureBytes)],
            content: content)
        let detached = Array((Data(try key.sign(sha256Digest: written.sha256)).base64EncodedString()).utf8)
        do {
            try file.commit()
            try PosixFile.writeAtomically(detached, to: output + ".sig")
        } catch { throw BundleError.io("\(error)") }
        var result = PackResult(
            archivePath: output, signaturePath: output + ".sig", index: index, archiveSize: written.size,
            archiveSHA256: Hex.encode(written.sha256), signerFingerprint: fingerprint)
        result.blobsTrustedByName = digests.trustedByName.filter { $0 }.count
        result.filesHashedFirst = staged.files.count - result.blobsTrustedByName
        return result
    }

    enum Source {
        case bytes([UInt8])
        case file(String)
        /// An image blob whose digest was taken from its name: hashed as it is written, and checked.
        case trustedBlob(String)
    }

    /// Writes every entry into the archive `file` (not committed); returns its size and SHA-256.
    private static func writeArchive(
        into file: AtomicFile, output: String, options: PackOptions, seekable: Bool, head: [(String, [UInt8])],
        content: [(entry: BundleIndex.Entry, source: Source)]
    ) throws -> TarWriter.Written {
        do {
            let writer = try TarWriter(
                file: file, compression: options.compression, level: options.compressionLevel, threads: options.threads, seekable: seekable)
            for (name, bytes) in head { try writer.addFile(name, bytes: bytes) }
            for (entry, source) in content {
                switch source {
                case .bytes(let bytes): try writer.addFile(entry.path, bytes: bytes)
                case .file(let file): try writer.addFile(entry.path, contentsOf: file, size: entry.size)
                case .trustedBlob(let file):
                    let hasher = BackgroundSHA256()
                    try writer.addFile(entry.path, contentsOf: file, size: entry.size, hashingInto: hasher)
                    let actual = Hex.encode(hasher.finalize())
                    guard actual == entry.sha256 else {
                        throw BundleError.usage(
                            "\(file): this blob's content does not hash to its name (it hashes to sha256:\(actual)), although its image layout is marked as written by airgap-bundle; nothing was written to \(output). Pull the image again; to have every blob of the layout re-hashed, delete its \(OCILayout.durabilityMarkPath)"
                        )
                    }
                }
            }
            return try writer.finish()
        } catch let error as ArchiveError {
            throw BundleError.io("cannot write \(output): \(error)")
        }
    }

    /// `SOURCE_DATE_EPOCH` from the environment, if set.
    public static func sourceDateEpoch() -> Date? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:))
    }

    static func rfc3339(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec
        )
    }
}
