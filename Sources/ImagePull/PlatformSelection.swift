import OCI

/// Which entries of an index to keep for the requested platforms.
enum PlatformSelection {
    static let referenceType = "vnd.docker.reference.type"
    static let referenceDigest = "vnd.docker.reference.digest"

    /// The entries whose platform a requested platform accepts, plus the attestation manifests
    /// (BuildKit's `unknown/unknown` entries) that describe a kept entry. Order is preserved.
    static func select(_ entries: [Descriptor], for platforms: [Platform]) -> [Descriptor] {
        let images = entries.filter { entry in
            guard entry.annotations?[referenceType] != "attestation-manifest", let platform = entry.platform else { return false }
            return platforms.contains { $0.accepts(platform) }
        }
        let kept = Set(images.map(\.digest.description))
        return entries.filter { entry in
            if kept.contains(entry.digest.description) { return true }
            guard entry.annotations?[referenceType] == "attestation-manifest", let target = entry.annotations?[referenceDigest] else { return false }
            return kept.contains(target)
        }
    }

    /// The platforms an index offers, for error messages.
    static func offered(_ entries: [Descriptor]) -> [String] {
        entries.compactMap { entry in
            entry.annotations?[referenceType] == "attestation-manifest" ? nil : entry.platform?.description
        }
    }
}
