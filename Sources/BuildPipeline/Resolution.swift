import ChartResolution
import Foundation
import OCI

/// One component with its chart resolved and its images found (the resolve stage's output).
public struct ResolvedComponent: Sendable {
    public var component: BundleManifest.Component
    public var chart: ResolvedChart
    /// Every image the component runs or hands to an operator, in order.
    public var images: [ImageReference]
    /// Images only `helm test` hooks use: not bundled (sites do not run chart tests).
    public var testOnlyImages: [String]
    /// See `ComponentInputs`.
    public var inputs: String
}

/// The resolve stage: every chart (highest version that satisfies the manifest, or exactly the
/// lock's) and every image (rendered by Helm, plus `images.extra`, minus `images.exclude`).
public struct Resolution: Sendable {
    public var manifest: BundleManifest
    public var components: [ResolvedComponent]
    /// Files and tools, once fetched (empty until then).
    public var files: [FetchedFile] = []

    /// Every image once, in component order.
    public var uniqueImages: [ImageReference] {
        var seen = Set<ImageReference>(), result: [ImageReference] = []
        for image in components.flatMap(\.images) where seen.insert(image).inserted { result.append(image) }
        return result
    }

    public static func resolve(
        _ manifest: BundleManifest, finder: ComponentImageFinder, lock: BundleLock?, warn: @escaping @Sendable (String) -> Void
    ) async throws -> Resolution {
        var components: [ResolvedComponent] = []
        if let lock {
            let names = Set(manifest.components.map(\.name))
            if let extra = lock.components.first(where: { !names.contains($0.name) }) {
                throw BuildError.lock(
                    "the lock names component \"\(extra.name)\", which the manifest no longer has: the manifest changed; run airgap-bundle lock")
            }
        }
        for component in manifest.components {
            let inputs = try ComponentInputs.digest(component)
            var source: BundleManifest.ChartSource?
            let locked = lock?.component(component.name)
            if let lock {
                guard let locked else {
                    throw BuildError.lock(
                        "component \"\(component.name)\" is not in the lock (\(lock.name) \(lock.version)): the manifest changed; run airgap-bundle lock"
                    )
                }
                guard locked.inputs == inputs else {
                    throw BuildError.lock(
                        "component \"\(component.name)\" changed since the lock was written (its chart source, values or image rules); run airgap-bundle lock"
                    )
                }
                source = try exactSource(component.chart, version: locked.chart.version, component: component.name)
            }
            let found: (chart: ResolvedChart, images: ComponentImages)
            do { found = try await finder.findWithChart(component, chart: source, warn: warn) } catch {
                throw BuildError.source("\(error)")
            }
            let testOnly = found.images.images.filter(\.testOnly).map(\.reference)
            let images = try found.images.images.filter { !$0.testOnly }.map { image in
                do { return try ImageReference(parsing: image.reference) } catch {
                    throw BuildError.source("component \"\(component.name)\": \(error)")
                }
            }
            if let locked {
                guard found.chart.sha256 == locked.chart.sha256 else {
                    throw BuildError.lock(
                        "component \"\(component.name)\": chart \(found.chart.name) \(found.chart.version) from \(found.chart.source) has SHA-256 \(found.chart.sha256), the lock says \(locked.chart.sha256): the source changed the chart"
                    )
                }
                let lockedImages = locked.images.map(\.reference)
                let foundImages = images.map(\.description)
                if let missing = lockedImages.first(where: { !foundImages.contains($0) }) {
                    throw BuildError.lock("component \"\(component.name)\": the lock has image \(missing), which rendering no longer finds")
                }
                if let added = foundImages.first(where: { !lockedImages.contains($0) }) {
                    throw BuildError.lock("component \"\(component.name)\": rendering finds image \(added), which the lock does not have")
                }
            }
            components.append(ResolvedComponent(component: component, chart: found.chart, images: images, testOnlyImages: testOnly, inputs: inputs))
        }
        return Resolution(manifest: manifest, components: components)
    }

    /// The chart source pinned to the lock's exact version (local charts have no version to pin;
    /// their archive digest is compared instead).
    static func exactSource(_ source: BundleManifest.ChartSource, version: String, component: String) throws -> BundleManifest.ChartSource {
        let exact: VersionConstraint
        do { exact = try VersionConstraint(parsing: version) } catch {
            throw BuildError.lock("component \"\(component)\": the lock's chart version \"\(version)\" is not a version: \(error)")
        }
        switch source {
        case .repository(let url, let name, _): return .repository(url: url, name: name, version: exact)
        case .oci(let reference, _): return .oci(reference: reference, version: exact)
        case .path: return source
        }
    }
}
