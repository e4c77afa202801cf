import ChartResolution
import Foundation
import Integrity
import OCI
import Registry
import System

/// A file or tool ready to stage: where it is on disk and what it is.
public struct FetchedFile: Sendable {
    /// The path under `files/` in the bundle.
    public var name: String
    public var path: String
    public var sha256: String
    public var size: Int64
}

/// The manifest's `files` and `tools` (those of the build's platforms): local files are hashed
/// and checked against their `sha256`; downloads go into the cache under their SHA-256, checked
/// while they stream, and are never fetched again.
enum FileFetch {
    static func run(
        _ files: [BundleManifest.BundledFile], platforms: [Platform], client: RegistryClient, cache: String, lock: BundleLock?
    ) async throws -> [FetchedFile] {
        var fetched: [FetchedFile] = []
        for file in files {
            if let platform = file.platform, !platforms.contains(where: { $0.accepts(platform) || platform.accepts($0) }) { continue }
            let lockedSHA = lock?.files?.first { $0.name == file.name }?.sha256
            if lock != nil, lockedSHA == nil {
                throw BuildError.lock("files/\(file.name) is not in the lock: the manifest changed; run airgap-bundle lock")
            }
            let expected = lockedSHA ?? file.sha256
            let path: String
            switch file.source {
            case .local(let local):
                path = local
            case .url(let url):
                guard let expected else { throw BuildError.usage("files/\(file.name): a download needs its sha256") }
                let directory = cache + "/files"
                do { try PosixFile.makeDirectories(directory) } catch { throw BuildError.io("cannot create \(directory): \(error)") }
                path = directory + "/" + expected
                if !FileManager.default.fileExists(atPath: path) {
                    do { try await client.download(url, to: path, expectedSHA256: expected, subject: "files/\(file.name) from \(url)") } catch {
                        throw BuildError.source("files/\(file.name): \(error)")
                    }
                }
            }
            let (hex, size): (String, Int64)
            do { (hex, size) = try await BlockingWork.run { try SHA256Hasher.hashFile(atPath: path) } } catch {
                throw BuildError.io("files/\(file.name): cannot read \(path): \(error)")
            }
            if let expected, hex != expected {
                let whose = lockedSHA != nil ? "the lock" : "the manifest"
                throw BuildError.source("files/\(file.name) (\(file.source)): its SHA-256 is \(hex), \(whose) says \(expected)")
            }
            fetched.append(FetchedFile(name: file.name, path: path, sha256: hex, size: size))
        }
        return fetched
    }
}
