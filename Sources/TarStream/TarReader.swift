/// Reads a tar stream (zstd, gzip or plain) entry by entry, without extracting anything.
///
/// It reports what the archive holds — including links, devices and odd names — and leaves
/// policy to the caller. It fails on a bad header checksum, on an archive cut short, and on
/// anything but zeros after the end-of-archive marker.
public final class TarReader {
    private let input: StrictDecompressor
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var remainingInEntry: Int64 = 0
    private var paddingAfterEntry = 0
    private var current: TarEntry?
    private var finished = false
    private let strict: Bool
    /// Bytes of extended headers (pax `x` and `g`, GNU `L` and `K`) read so far in the archive.
    private var extendedHeaderBytesInArchive = 0
    /// Every header byte of the current entry (pax or GNU headers and their data included).
    public private(set) var headerBytes: [UInt8] = []
    public var path: String { input.path }
    /// The size of the archive file as stored (compressed), when it was opened.
    public var archiveSize: Int64 { input.fileSize }

    /// The most bytes of extended headers (pax and GNU long names) one entry may carry: enough for
    /// any real name, small enough that a flood of headers is refused before it costs memory.
    public static let extendedHeaderLimitPerEntry = 1 << 20
    /// The most bytes of extended headers in a whole archive.
    public static let extendedHeaderLimitPerArchive = 64 << 20
    public var compression: Compression { input.compression }
    /// The seek table of a seekable (format-2) archive, read and checked when it was opened; nil
    /// for one zstd frame, gzip or plain tar. Every frame is checked against it as it streams past.
    public var seekTable: SeekTable? { input.seekTable }

    /// `strictContainer`: exactly one zstd frame or bare gzip member and nothing after it (bundles).
    /// Pass false for archives made by other tools (Helm charts).
    /// `hashArchive`: also compute the SHA-256 of the archive file as stored (`archiveSHA256()`).
    /// In strict mode nothing may follow the end-of-archive marker: the first byte past it is
    /// refused at once. Lenient reads stop at the marker (GNU tar pads with zero blocks).
    public init(path: String, strictContainer: Bool = true, hashArchive: Bool = false) throws {
        strict = strictContainer
        input = try StrictDecompressor(path: path, strict: strictContainer, hashFile: hashArchive)
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next entry, or nil after the end-of-archive marker. Skips what is left of the current one.
    public func next() throws -> TarEntry? {
        if finished { return nil }
        if let current { try skip(remainingInEntry, inside: current.path); remainingInEntry = 0 }
        if paddingAfterEntry > 0 {
            let padding = try readExactly(paddingAfterEntry, context: "in the padding of \(current?.path ?? "an entry")")
            guard padding.allSatisfy({ $0 == 0 }) else {
                throw ArchiveError(path: path, message: "entry \(current?.path ?? "") is followed by non-zero padding")
            }
            paddingAfterEntry = 0
        }
        headerBytes = []
        var paxPath: String?, paxSize: Int64?, longName: String?, longLink: String?
        var extendedBytes = 0
        while true {
            guard let block = try readBlock(context: current.map { "after entry \($0.path)" } ?? "at the start") else {
                throw ArchiveError(path: path, message: "truncated: the archive ends without an end-of-archive marker")
            }
            headerBytes += block
            if block.allSatisfy({ $0 == 0 }) {
                try checkEnd()
                finished = true
                current = nil
                return nil
            }
            let raw: TarHeader.Raw
            do { raw = try block.withUnsafeBytes { try TarHeader.decode($0) } } catch {
                throw ArchiveError(path: path, message: "damaged tar header \(current.map { "after entry \($0.path)" } ?? "at the start") (\(error))")
            }
            let isExtended = [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")].contains(raw.typeflag)
            if isExtended { try countExtendedHeader(raw.size, entrySoFar: &extendedBytes) }
            switch raw.typeflag {
            case UInt8(ascii: "x"):
                for (key, value) in try paxRecords(try readSmallData(raw.size, what: "pax header")) {
                    if key == "path" { paxPath = value }
                    if key == "size" { paxSize = try Self.byteCount(value, in: path) }
                    if key == "linkpath" { longLink = value }
                }
                continue
            case UInt8(ascii: "g"):
                _ = try readSmallData(raw.size, what: "global pax header")
                continue
            case UInt8(ascii: "L"):
                longName = String(decoding: try readSmallData(raw.size, what: "long name").prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "K"):
                longLink = String(decoding: try readSmallData(raw.size, what: "long link").prefix { $0 != 0 }, as: UTF8.self)
                continue
            default: break
            }
            let kind: TarEntry.Kind
            switch raw.typeflag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default: kind = .other(raw.typeflag)
            }
            let size = paxSize ?? raw.size
            let entry = TarEntry(
                path: paxPath ?? longName ?? raw.name, kind: kind, size: size, mode: raw.mode,
                linkTarget: longLink ?? (raw.linkName.isEmpty ? nil : raw.linkName))
            // Links and devices carry no data, whatever their size field says.
            remainingInEntry = (kind == .regular || { if case .other = kind { return true } else { return false } }()) ? size : 0
            paddingAfterEntry = remainingInEntry % 512 == 0 ? 0 : 512 - Int(remainingInEntry % 512)
            current = entry
            return entry
        }
    }

    /// SHA-256 of the whole archive file as stored (compressed), available after `next()` returned
    /// nil in strict mode — the digest a detached signature of the archive covers.
    public func archiveSHA256() -> [UInt8]? { input.fileSHA256() }

    /// Hands the current entry's data to `body` in pieces, without copying.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remainingInEntry > 0 {
            if start == end { try refill(context: "inside entry \(current?.path ?? "")") }
            let n = min(end - start, Int(clamping: remainingInEntry))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            start += n
            remainingInEntry -= Int64(n)
        }
    }

    /// Reads the whole current entry, refusing more than `limit` bytes.
    public func readAll(limit: Int) throws -> [UInt8] {
        guard remainingInEntry <= Int64(limit) else {
            throw ArchiveError(path: path, message: "entry \(current?.path ?? "") is \(remainingInEntry) bytes, more than the \(limit) allowed")
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(remainingInEntry))
        try forEachChunk { result.append(contentsOf: $0) }
        return result
    }

    // MARK: - Buffering

    private func refill(context: String) throws {
        start = 0
        end = try input.read(into: buffer)
        guard end > 0 else { throw ArchiveError(path: path, message: "truncated: the archive ends \(context)") }
    }

    /// The next 512-byte block, or nil at a clean end of stream.
    private func readBlock(context: String) throws -> [UInt8]? {
        if start == end {
            start = 0
            end = try input.read(into: buffer)
            if end == 0 { return nil }
        }
        return try readExactly(512, context: "inside a header \(context)")
    }

    private func readExactly(_ count: Int, context: String) throws -> [UInt8] {
        var data: [UInt8] = []
        while data.count < count {
            if start == end { try refill(context: context) }
            let n = min(end - start, count - data.count)
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            start += n
        }
        return data
    }

    private func skip(_ count: Int64, inside name: String) throws {
        var left = count
        while left > 0 {
            if start == end { try refill(context: "inside entry \(name)") }
            let n = min(end - start, Int(clamping: left))
            start += n
            left -= Int64(n)
        }
    }

    /// Refuses an extended header that would take the entry or the archive past its limit,
    /// before its data is read.
    private func countExtendedHeader(_ size: Int64, entrySoFar: inout Int) throws {
        guard size <= Int64(Self.extendedHeaderLimitPerEntry) else {
            throw ArchiveError(
                path: path,
                message: "an extended header of \(size) bytes is too large (more than \(Self.extendedHeaderLimitPerEntry) bytes of extended headers)")
        }
        let (entryTotal, entryOverflow) = entrySoFar.addingReportingOverflow(Int(size))
        guard !entryOverflow, entryTotal <= Self.extendedHeaderLimitPerEntry else {
            throw ArchiveError(
                path: path,
                message: "one entry carries more than \(Self.extendedHeaderLimitPerEntry) bytes of extended headers (pax or GNU long-name headers)")
        }
        let (archiveTotal, archiveOverflow) = extendedHeaderBytesInArchive.addingReportingOverflow(Int(size))
        guard !archiveOverflow, archiveTotal <= Self.extendedHeaderLimitPerArchive else {
            throw ArchiveError(
                path: path,
                message:
                    "the archive carries more than \(Self.extendedHeaderLimitPerArchive) bytes of extended headers (pax or GNU long-name headers)")
        }
        entrySoFar = entryTotal
        extendedHeaderBytesInArchive = archiveTotal
    }

    /// A pax `size` value: decimal digits only, fitting in 64 bits.
    static func byteCount(_ value: String, in path: String) throws -> Int64 {
        guard !value.isEmpty, value.utf8.count <= 19, value.utf8.allSatisfy({ (48...57).contains($0) }), let size = Int64(value) else {
            throw ArchiveError(path: path, message: "damaged pax header: size \"\(value.prefix(40))\" is not a byte count")
        }
        return size
    }

    private func readSmallData(_ size: Int64, what: String) throws -> [UInt8] {
        guard size >= 0, size <= Int64(Self.extendedHeaderLimitPerEntry) else {
            throw ArchiveError(path: path, message: "\(what) of \(size) bytes is too large")
        }
        let data = try readExactly(Int(size), context: "inside a \(what)")
        let padding = size % 512 == 0 ? 0 : 512 - Int(size % 512)
        headerBytes += data
        headerBytes += try readExactly(padding, context: "inside a \(what)")
        return data
    }

    /// After the first zero block: a second one, then (strict) nothing at all. The first byte
    /// past the marker is refused at once, whatever it is: an archive padded with gigabytes of
    /// compressed zeros costs one read, not minutes.
    private func checkEnd() throws {
        guard let second = try readBlock(context: "in the end-of-archive marker"), second.allSatisfy({ $0 == 0 }) else {
            throw ArchiveError(path: path, message: "damaged end-of-archive marker")
        }
        guard strict else { return }
        if start == end {
            start = 0
            end = try input.read(into: buffer)
        }
        if start < end {
            let nonZero = UnsafeRawBufferPointer(rebasing: buffer[start..<end]).contains { $0 != 0 }
            throw ArchiveError(
                path: path, message: "garbage after the end of the archive (\(nonZero ? "data" : "zero bytes") past the end-of-archive marker)")
        }
    }

    /// `LEN key=value\n` records; LEN counts the whole record and is read with checked arithmetic.
    private func paxRecords(_ data: [UInt8]) throws -> [(String, String)] {
        var records: [(String, String)] = []
        var index = 0
        while index < data.count {
            var length = 0, digits = 0, cursor = index
            while cursor < data.count, (48...57).contains(data[cursor]) {
                digits += 1
                // A record can never be longer than the header holding it: 8 digits are plenty.
                guard digits <= 8 else { throw ArchiveError(path: path, message: "damaged pax header: a record length is too long") }
                length = length * 10 + Int(data[cursor] - 48)
                cursor += 1
            }
            guard digits > 0, cursor < data.count, data[cursor] == UInt8(ascii: " "), length > cursor - index + 1,
                length <= data.count - index, data[index + length - 1] == UInt8(ascii: "\n")
            else {
                throw ArchiveError(path: path, message: "damaged pax header: a record's length does not match its content")
            }
            let record = data[(cursor + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records.append((String(decoding: record[..<equals], as: UTF8.self), String(decoding: record[(equals + 1)...], as: UTF8.self)))
            }
            index += length
        }
        return records
    }
}
