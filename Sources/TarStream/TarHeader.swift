/// One entry of a tar archive as read: its name, kind and size.
public struct TarEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo
        case other(UInt8)

        /// "a" or "an" for `words`.
        public var article: String { ["a", "e", "i", "o", "u"].contains(words.prefix(1)) ? "an" : "a" }

        public var words: String {
            switch self {
            case .regular: return "regular file"
            case .directory: return "directory"
            case .symlink: return "symbolic link"
            case .hardlink: return "hard link"
            case .characterDevice: return "character device"
            case .blockDevice: return "block device"
            case .fifo: return "FIFO"
            case .other(let flag): return "entry of tar type '\(Character(Unicode.Scalar(flag)))'"
            }
        }
    }

    public var path: String
    public var kind: Kind
    public var size: Int64
    public var mode: UInt32
    public var linkTarget: String?
}

/// The 512-byte ustar header: encoding for the writer (deterministic: zero times and owners),
/// decoding with checksum validation for the reader.
enum TarHeader {
    static let blockSize = 512

    /// A ustar header for a regular file (or a pax `x` header when `typeflag` says so).
    static func encode(name: String, size: Int64, mode: UInt32 = 0o644, typeflag: UInt8 = UInt8(ascii: "0"), prefix: String = "") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        put(Array(name.utf8), into: &block, at: 0, width: 100)
        putOctal(UInt64(mode), into: &block, at: 100, width: 8)
        putOctal(0, into: &block, at: 108, width: 8)
        putOctal(0, into: &block, at: 116, width: 8)
        putOctal(UInt64(size), into: &block, at: 124, width: 12)
        putOctal(0, into: &block, at: 136, width: 12)
        block[156] = typeflag
        put(Array("ustar\0".utf8), into: &block, at: 257, width: 6)
        put(Array("00".utf8), into: &block, at: 263, width: 2)
        put(Array(prefix.utf8), into: &block, at: 345, width: 155)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        putOctal(UInt64(sum), into: &block, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// Splits a long path into ustar's prefix and name, if it fits.
    static func split(_ path: String) -> (prefix: String, name: String)? {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        guard bytes.count <= 256 else { return nil }
        for index in stride(from: min(bytes.count - 1, 155), to: 0, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let name = bytes[(index + 1)...]
            if name.count <= 100, !name.isEmpty {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: name, as: UTF8.self))
            }
        }
        return nil
    }

    /// A pax extended-header record: `LEN key=value\n`, where LEN counts itself.
    static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    private static func put(_ bytes: [UInt8], into block: inout [UInt8], at offset: Int, width: Int) {
        for (i, byte) in bytes.prefix(width).enumerated() { block[offset + i] = byte }
    }

    private static func putOctal(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) {
        let digits = Array(String(value, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
        put(padded, into: &block, at: offset, width: width - 1)
        block[offset + width - 1] = 0
    }

    /// A decoded header block: fields as written, before pax and GNU long names apply.
    struct Raw {
        var name: String
        var mode: UInt32
        var size: Int64
        var typeflag: UInt8
        var linkName: String
    }

    enum DecodeError: Error { case badChecksum, badNumber(String) }

    static func decode(_ block: UnsafeRawBufferPointer) throws(DecodeError) -> Raw {
        var sum = 0
        for i in 0..<blockSize { sum += (148..<156).contains(i) ? 32 : Int(block[i]) }
        guard let stored = try? parseNumber(block, 148, 8), stored == sum else { throw .badChecksum }
        let magicIsUstar = block[257] == UInt8(ascii: "u") && block[258] == UInt8(ascii: "s") && block[259] == UInt8(ascii: "t")
        var name = string(block, 0, 100)
        if magicIsUstar, block[345] != 0 { name = string(block, 345, 155) + "/" + name }
        return Raw(
            name: name, mode: UInt32(truncatingIfNeeded: try parseNumber(block, 100, 8)), size: Int64(try parseNumber(block, 124, 12)),
            typeflag: block[156], linkName: string(block, 157, 100))
    }

    static func string(_ block: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> String {
        let slice = block[offset..<(offset + width)]
        let end = slice.firstIndex(of: 0) ?? slice.endIndex
        return String(decoding: slice[offset..<end], as: UTF8.self)
    }

    /// Octal ASCII (space or NUL terminated), or GNU base-256 when the high bit is set.
    static func parseNumber(_ block: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) throws(DecodeError) -> Int {
        if block[offset] & 0x80 != 0 {
            // Base-256 with the sign bit set (0xFF first) is a negative number.
            guard block[offset] & 0x40 == 0 else { throw .badNumber("negative number") }
            var value = Int(block[offset] & 0x7f)
            for i in (offset + 1)..<(offset + width) {
                guard value < (Int.max >> 8) else { throw .badNumber("number too large") }
                value = value << 8 | Int(block[i])
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for i in offset..<(offset + width) {
            let byte = block[i]
            if byte == 0 || byte == 32 { if seenDigit { break } else { continue } }
            guard (48...55).contains(byte) else { throw .badNumber("bad octal digit") }
            guard value < (Int.max >> 3) else { throw .badNumber("number too large") }
            value = value * 8 + Int(byte - 48)
            seenDigit = true
        }
        return value
    }
}
