import Foundation
import Integrity
import OCI
import Registry
import System
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A pull killed with SIGKILL in the middle of a blob, and layouts this tool did not write
/// (docs/adr/0005-durable-writes.md): no partial blob is ever trusted or kept.
@Suite("Durable writes: killed pulls and layouts we did not write", .serialized)
struct DurableWriteTests {
    /// Every file of a layout, relative to it.
    func files(_ layout: String) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: layout))
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: layout + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue { found.append(path) }
        }
        return found.sorted()
    }

    /// Blob files whose content does not hash to their name.
    func misnamedBlobs(_ layout: String) throws -> [String] {
        try files(layout).filter { $0.hasPrefix("blobs/sha256/") }.filter { path in
            try SHA256Hasher.hashFile(atPath: layout + "/" + path).hex != String(path.dropFirst("blobs/sha256/".count))
        }
    }

    func blobGETs(_ proxy: FaultProxy) throws -> [String] {
        try proxy.requestLog().filter { ($0["method"] as? String) == "GET" && (($0["path"] as? String) ?? "").contains("/blobs/") }
            .compactMap { $0["path"] as? String }
    }

    @Test func aPullKilledInTheMiddleOfABlobLeavesNothingHalfWritten() async throws {
        let seeded = try await SeededRegistry.make(withBig: true)
        let proxy = try FaultProxy(upstream: seeded.registry)
        let big = try #require(seeded.big).layers[0].descriptor
        let layout = try TestPaths.scratch("layout")
        let reference = "\(proxy.host)/library/big:1"
        let arguments = [try TestPaths.binary("airgap-bundle"), "pull", reference, "--oci-layout", layout, "--insecure-registry", proxy.host]

        // Run the real binary and kill it with SIGKILL once 1 MiB of the 200 MB layer is in ingest/.
        let first = try BackgroundProcess(arguments, directory: layout, logPath: try TestPaths.scratch("log") + "/pull.log")
        var partial: (name: String, size: Int64)?
        let deadline = Date().addingTimeInterval(60)
        while partial == nil, first.process.isRunning, Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: layout + "/ingest")) ?? []
            for name in names where name.hasPrefix(big.digest.hex) {
                if let size = PosixFile.regularFileSize(layout + "/ingest/" + name), size >= 1 << 20 { partial = (name, size) }
            }
            if partial == nil { usleep(2_000) }
        }
        let caught = try #require(partial, "the pull ended before the big layer was under way: \(first.log())")
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        #expect(first.process.terminationReason == .uncaughtSignal)
        #expect(caught.size < big.size)
        // The kill landed midway: the partial blob is in ingest/, nothing at the blob's name.
        #expect(FileManager.default.fileExists(atPath: layout + "/ingest/" + caught.name))
        #expect(!blobExists(layout, big.digest))
        #expect(try misnamedBlobs(layout).isEmpty)

        // The next run neither trusts nor keeps the partial blob: it fetches it whole.
        try proxy.reset()
        let second = try airgapBundle(["pull", reference, "--oci-layout", layout, "--insecure-registry", proxy.host])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains(try #require(seeded.big).digest.description))
        #expect(try blobGETs(proxy).contains { $0.hasSuffix(big.digest.description) })
        #expect(try proxy.requestLog().allSatisfy { ($0["range"] as? String) == nil }, "nothing resumes from a partial file")
        #expect(try misnamedBlobs(layout).isEmpty)
        #expect(PosixFile.regularFileSize(layout + "/blobs/sha256/" + big.digest.hex) == big.size)
        // No leftovers: only the layout's own files, the blobs and the durability mark.
        let expected = Set(["oci-layout", "index.json", OCILayout.durabilityMarkPath])
        let stray = try files(layout).filter { !$0.hasPrefix("blobs/sha256/") && !expected.contains($0) }
        #expect(stray.isEmpty, "\(stray)")
        #expect(ingestLeftovers(layout).isEmpty)
    }

    @Test func aWrongBlobOfTheRightSizeInALayoutWeDidNotWriteIsReplaced() async throws {
        let seeded = try await SeededRegistry.make()
        let proxy = try FaultProxy(upstream: seeded.registry)
        let victim = seeded.sharedB.layers[0].descriptor
        let reference = "\(proxy.host)/apps/shared-b:1"

        // A layout made by another tool: the image layout files and one blob of the right size whose bytes are wrong.
        let layout = try TestPaths.scratch("foreign-layout")
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: layout + "/oci-layout", atomically: true, encoding: .utf8)
        try #"{"schemaVersion":2,"manifests":[]}"#.write(toFile: layout + "/index.json", atomically: true, encoding: .utf8)
        try Data(repeating: 0x5a, count: Int(victim.size)).write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + victim.digest.hex))

        let result = try airgapBundle(["pull", reference, "--oci-layout", layout, "--insecure-registry", proxy.host])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("was not written by airgap-bundle"), "\(result.stderr)")
        #expect(result.stderr.contains("blobs/sha256/\(victim.digest.hex) did not hash to its name and was removed"), "\(result.stderr)")
        #expect(try blobGETs(proxy).contains { $0.hasSuffix(victim.digest.description) }, "the wrong blob is fetched again")
        #expect(try misnamedBlobs(layout).isEmpty)
        #expect(blobExists(layout, victim.digest))

        // Now the layout is ours: a second pull trusts what it holds and fetches no blob.
        try proxy.reset()
        let again = try airgapBundle(["pull", reference, "--oci-layout", layout, "--insecure-registry", proxy.host])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("was not written by airgap-bundle"), "\(again.stderr)")
        #expect(try blobGETs(proxy).isEmpty)
    }
}
