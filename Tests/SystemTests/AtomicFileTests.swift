import Foundation
import System
import TestSupport
import Testing

/// `AtomicFile` and `PosixFile.writeAtomically`: the one durable atomic write (ADR 0005).
@Suite("AtomicFile: whole or nothing, private from the first byte, durable")
struct AtomicFileTests {
    func mode(_ path: String) -> mode_t? {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & 0o777 : nil
    }

    func entries(_ directory: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    @Test func theTemporaryFileHasItsModeFromCreationAndOnlyTheFileIsLeft() throws {
        let root = try TestPaths.scratch("atomic")
        let secret = try AtomicFile(root + "/secret")
        #expect(mode(secret.temporaryPath) == 0o600, "the default is private")
        secret.abandon()
        let file = try AtomicFile(root + "/values.yaml", mode: 0o640)
        #expect(mode(file.temporaryPath) == 0o640)
        #expect((file.temporaryPath as NSString).deletingLastPathComponent == root, "beside its final name")
        try file.write(Array("a: 1\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: root + "/values.yaml"), "nothing under the final name before commit")
        try file.commit()
        #expect(try String(contentsOfFile: root + "/values.yaml", encoding: .utf8) == "a: 1\n")
        #expect(mode(root + "/values.yaml") == 0o640)
        #expect(try entries(root) == ["values.yaml"])
    }

    @Test func anAbandonedOrForgottenFileLeavesNothing() throws {
        let root = try TestPaths.scratch("atomic-abandon")
        let file = try AtomicFile(root + "/a")
        try file.write(Array("half".utf8))
        file.abandon()
        do {
            let forgotten = try AtomicFile(root + "/b")
            try forgotten.write(Array("half".utf8))
        }
        #expect(try entries(root) == [])
    }

    /// A rename that fails (a directory is in the way) throws, naming the path, and leaves no temporary file.
    @Test func aFailedCommitLeavesNoTemporaryFile() throws {
        let root = try TestPaths.scratch("atomic-fail")
        try FileManager.default.createDirectory(atPath: root + "/taken/inside", withIntermediateDirectories: true)
        let error = #expect(throws: FileSystemError.self) { try PosixFile.writeAtomically(Array("x".utf8), to: root + "/taken") }
        #expect(error?.operation == "rename into place" && error?.path == root + "/taken", "\(String(describing: error))")
        #expect(try entries(root) == ["taken"])
    }

    /// A link planted at the final name is replaced, never written through.
    @Test func aLinkAtThePathIsReplacedNotFollowed() throws {
        let root = try TestPaths.scratch("atomic-link")
        try "outside\n".write(toFile: root + "/outside", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/state.json", withDestinationPath: root + "/outside")
        try PosixFile.writeAtomically(Array("{}\n".utf8), to: root + "/state.json", mode: 0o600)
        #expect(try String(contentsOfFile: root + "/outside", encoding: .utf8) == "outside\n")
        #expect(try FileManager.default.attributesOfItem(atPath: root + "/state.json")[.type] as? FileAttributeType == .typeRegular)
        #expect(mode(root + "/state.json") == 0o600)
    }

    /// The system calls of a real write (keygen's private key), read from strace: the temporary
    /// file is created exclusively, never through a link, 0600; it is `fsync`ed before the rename,
    /// and the directory is `fsync`ed after it.
    @Test func theSystemCallsAreCreateFsyncRenameFsyncTheDirectory() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            throw TestSupportError("no /usr/bin/strace: run scripts/install-test-deps.sh (apt strace)")
        }
        let root = try TestPaths.scratch("atomic-strace")
        let trace = root + "/strace.log", prefix = root + "/keys/vendor"
        try FileManager.default.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        let result = try Shell.run(
            [
                "/usr/bin/strace", "-f", "-y", "-e", "trace=openat,fsync,rename,renameat,renameat2", "-o", trace,
                try TestPaths.binary("airgap-bundle"), "keygen", "--out", prefix,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        func first(_ what: String, _ matches: (String) -> Bool) throws -> Int {
            let index = lines.firstIndex(where: matches)
            return try #require(index, "no \(what) in the trace:\n\(lines.suffix(30).joined(separator: "\n"))")
        }
        let create = try first("creation") { $0.contains("openat(") && $0.contains("\"\(prefix).key.partial-") }
        #expect(lines[create].contains("O_CREAT") && lines[create].contains("O_EXCL") && lines[create].contains("O_NOFOLLOW"), "\(lines[create])")
        #expect(lines[create].contains(", 0600)"), "\(lines[create])")
        let sync = try first("fsync of the file") { $0.contains("fsync(") && $0.contains("\(prefix).key.partial-") && $0.hasSuffix("= 0") }
        let rename = try first("rename") { $0.contains("rename") && $0.contains("\(prefix).key.partial-") && $0.contains("\"\(prefix).key\"") }
        let directorySync = try first("fsync of the directory") { $0.contains("fsync(") && $0.contains("<\(root)/keys>") && $0.hasSuffix("= 0") }
        #expect(
            create < sync && sync < rename && rename < directorySync,
            "order: create \(create), fsync \(sync), rename \(rename), directory \(directorySync)")
        #expect(try entries(root + "/keys") == ["vendor.key", "vendor.pub"])
    }
}
