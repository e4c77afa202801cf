/// A bundle archive on disk: one file, or a split into `NAME.part-0001`, `NAME.part-0002`, … (for
/// USB disks with a file size limit), read as one stream. The detached signature `NAME.sig`
/// covers the whole.
public enum ArchiveParts {
    /// The most parts a split archive may have.
    public static let limit = 9999

    /// The archive's own name: `X.tar.zst` for `X.tar.zst` and for `X.tar.zst.part-0003`.
    public static func logicalPath(_ path: String) -> String {
        guard partNumber(of: path) != nil else { return path }
        return String(path.dropLast(".part-0000".count))
    }

    /// The file name of part `number` (from 1).
    public static func partPath(_ logical: String, _ number: Int) -> String {
        let digits = String(number)
        return logical + ".part-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The files to read, in order: the archive itself when it exists, else its parts from
    /// `.part-0001` on, as many as there are in a row.
    public static func files(for path: String, exists: (String) -> Bool) -> [String] {
        let logical = logicalPath(path)
        if partNumber(of: path) == nil, exists(path) { return [path] }
        var parts: [String] = []
        while parts.count < limit, exists(partPath(logical, parts.count + 1)) { parts.append(partPath(logical, parts.count + 1)) }
        return parts.isEmpty ? [path] : parts
    }

    static func partNumber(of path: String) -> Int? {
        let marker = ".part-"
        guard path.utf8.count > marker.utf8.count + 4 else { return nil }
        let tail = path.suffix(4), head = path.dropLast(4)
        guard head.hasSuffix(marker), tail.allSatisfy(\.isASCII), tail.allSatisfy(\.isNumber), let number = Int(tail), number >= 1 else { return nil }
        return number
    }
}
