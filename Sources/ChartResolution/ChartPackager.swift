import Foundation
import System
import TarStream

/// Packages a chart directory deterministically: `NAME/…` entries sorted by path, fixed modes,
/// zero times, gzip without a timestamp — the same directory gives the same `.tgz` bytes.
enum ChartPackager {
    /// Files Helm leaves out of packages; `.helmignore` patterns are applied for simple globs.
    static func package(_ directory: String, name: String, into output: String, extraCharts: [(name: String, path: String)] = []) throws {
        var files: [(String, String)] = []
        let ignore = try helmIgnore(directory)
        try collect(directory, relative: "", ignore: ignore, into: &files)
        for extra in extraCharts { files.append(("charts/" + extra.name, extra.path)) }
        files.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        let file = try AtomicFile(output, mode: 0o644)
        let writer = try TarWriter(file: file, compression: .gzip, level: 9)
        for (relative, absolute) in files {
            let size = (try FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.int64Value ?? 0
            try writer.addFile("\(name)/\(relative)", contentsOf: absolute, size: size)
        }
        try writer.finish()
        do { try file.commit() } catch { throw ChartError(message: "cannot write \(output): \(error.reason)") }
    }

    private static func collect(_ directory: String, relative: String, ignore: [String], into files: inout [(String, String)]) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = relative.isEmpty ? name : relative + "/" + name
            if name == ".git" || ignore.contains(where: { matches($0, name) || matches($0, path) }) { continue }
            let absolute = directory + "/" + name
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory)
            if isDirectory.boolValue { try collect(absolute, relative: path, ignore: ignore, into: &files) } else { files.append((path, absolute)) }
        }
    }

    private static func helmIgnore(_ directory: String) throws -> [String] {
        let path = directory + "/.helmignore"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text: String
        do { text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) } catch {
            throw ChartError(message: "cannot read \(path): \(error.localizedDescription)")
        }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// `*` and `?` globs on one name or path.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}
