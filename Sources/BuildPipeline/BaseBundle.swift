import Bundle
import Foundation
import Integrity
import OCI

/// The bundle a delta builds on: its name, version and `bundle.json` digest, and the layers it
/// carried. From the old archive (its bundle.json signature is checked with the build's own
/// key: a delta builds on our own release) or from the old `bundle.json` itself.
struct BaseBundle: Sendable {
    var reference: BundleIndex.Base
    var layers: Set<Digest>

    static func load(_ path: String, verifyingWith key: VerifyingKey) throws -> BaseBundle {
        let indexBytes: [UInt8]
        let index: BundleIndex
        if path.hasSuffix(".json") {
            do { indexBytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw BuildError.io("--since \(path): cannot read it: \(error.localizedDescription)")
            }
            do { index = try JSONDecoder().decode(BundleIndex.self, from: Data(indexBytes)) } catch {
                throw BuildError.usage("--since \(path): not a bundle.json: \(error.humanDescription)")
            }
        } else {
            do {
                let signed = try BundleVerifier(keys: [key]).readSignedIndex(path)
                (indexBytes, index) = (signed.indexBytes, signed.index)
            } catch let error as BundleError {
                throw error.kind == .verification
                    ? BuildError.usage("--since \(path): \(error.message)") : BuildError.io("--since \(path): \(error.message)")
            }
        }
        return BaseBundle(
            reference: BundleIndex.Base(name: index.name, version: index.version, bundleJSON: SHA256Hasher.hex(of: indexBytes)),
            layers: Set(index.entries.compactMap { BundlePaths.blobDigest($0.path) }))
    }
}
