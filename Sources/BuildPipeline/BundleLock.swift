import Foundation
import Integrity
import OCI
import System

/// `MANIFEST.lock` (e.g. `manifests/astrago.yaml.lock`): exactly what a build of the manifest
/// took — each chart's version and archive digest, each image's source digest (and the digest
/// per platform where the source is an index) — so that `build --locked` takes the same again or
/// fails naming what moved. JSON with sorted keys; written atomically.
public struct BundleLock: Codable, Sendable, Equatable {
    public struct Component: Codable, Sendable, Equatable {
        public var name: String
        /// SHA-256 of what the manifest says about the component (chart source, values files'
        /// contents, image rules): a changed manifest no longer matches its lock.
        public var inputs: String
        public var chart: Chart
        public var images: [Image]
    }

    public struct Chart: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        /// SHA-256 of the chart archive.
        public var sha256: String
        public var source: String
    }

    public struct Image: Codable, Sendable, Equatable {
        /// The normalized reference, as the bundle names it.
        public var reference: String
        /// The manifest or index digest in the source registry.
        public var source: Digest
        /// What the bundle stores: the source digest, or a filtered index's when only some
        /// platforms of an index are kept.
        public var stored: Digest
        /// Platform → manifest digest, for an index.
        public var platforms: [String: Digest]?
    }

    public var apiVersion = "airgap.astrago.io/v1"
    public var kind = "BundleLock"
    /// The manifest's `metadata.name` and `metadata.version`.
    public var name: String
    public var version: String
    /// The platforms the images were locked for.
    public var platforms: [String]
    /// Seconds since 1970 that builds of this lock record as their creation time (the time the
    /// lock was first written), so two builds of one lock are identical.
    public var created: Int64
    public var components: [Component]
    /// The manifest's files and the tools of the locked platforms.
    public var files: [File]?

    public struct File: Codable, Sendable, Equatable {
        /// The path under `files/`.
        public var name: String
        public var sha256: String
    }

    public static func read(_ path: String) throws -> BundleLock? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw BuildError.io("cannot read the lock file \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(BundleLock.self, from: data) } catch {
            throw BuildError.lock("\(path) is not a lock file this tool wrote: \(error.humanDescription); delete it and run airgap-bundle lock")
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { try PosixFile.writeAtomically(Array(try encoder.encode(self)) + [0x0a], to: path) } catch {
            throw BuildError.io("cannot write the lock file \(path): \(error)")
        }
    }

    public func component(_ name: String) -> Component? { components.first { $0.name == name } }
}
