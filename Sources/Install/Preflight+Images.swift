import Foundation
import OCI
import Registry

extension Preflight {
    /// Every image of `relocation.json` is in the site registry by digest (`HEAD` of its manifest).
    public static func imagesCheck(_ relocation: RelocationMap, client: RegistryClient) async -> Check {
        var missing: [String] = []
        for image in relocation.images {
            do {
                let target = try ImageReference(parsing: image.target)
                if try await client.manifestDigest(image.digest.description, in: target) == nil { missing.append(image.target) }
            } catch {
                return Check(
                    name: "images", result: .failed,
                    detail:
                        "cannot check \(image.target) in \(relocation.registry) (give the registry login push used: --username, --ca-file or --plain-http): \(error)"
                )
            }
        }
        guard missing.isEmpty else {
            return Check(
                name: "images", result: .failed,
                detail:
                    "\(missing.count) of \(relocation.images.count) images are not in \(relocation.registry) (run airgap-install push again): \(missing.joined(separator: ", "))"
            )
        }
        return Check(name: "images", result: .ok, detail: "all \(relocation.images.count) images are in \(relocation.registry)")
    }
}
