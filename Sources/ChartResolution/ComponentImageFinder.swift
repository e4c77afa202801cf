import Foundation
import OCI
import Rendering
import System

/// The images of one component, as `images` prints them.
public struct ComponentImages: Sendable, Codable {
    public var name: String
    /// `NAME VERSION` of the chart rendered.
    public var chart: String
    public var images: [DiscoveredImage]
    /// True when found by the values walk (`--no-render`), not by rendering.
    public var guessed: Bool
    /// Why the component's images could not be found (nil when they were); `images` is then empty.
    public var error: String?
}

/// Finds every component's images: resolve the chart, render it with Helm (or guess from values
/// with `--no-render`), then apply `images.extra` and `images.exclude`.
public struct ComponentImageFinder: Sendable {
    public let resolver: ChartResolver
    /// Nil means no Helm: values are walked instead, and results are marked as guesses.
    public let helm: HelmEngine?
    /// The manifest's site values: values files that use them are rendered for Helm with each
    /// value's default, or a placeholder of its type (`site-value`, `0`, `false`), since the
    /// site's own values are not known when images are found.
    public let siteValues: [SiteValueDeclaration]

    public init(resolver: ChartResolver, helm: HelmEngine?, siteValues: [SiteValueDeclaration] = []) {
        self.resolver = resolver
        self.helm = helm
        self.siteValues = siteValues
    }

    /// The component's values files, with site-value templates filled in with placeholders
    /// (written into `scratch`); files without templates are used as they are.
    func placeholderValues(_ component: BundleManifest.Component, scratch: String) throws -> [String] {
        let declared = Dictionary(siteValues.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var files: [String] = []
        for (position, file) in component.values.enumerated() {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ChartError(message: "component \"\(component.name)\": cannot read the values file \(file)")
            }
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("{{") else { files.append(file); continue }
            let rendered = try ValuesTemplate.render(text, file: file) { name in
                guard let declaration = declared[name] else { return nil }
                if let value = declaration.defaultValue { return value }
                switch declaration.type {
                case .string, .hostname: return "site-value"
                case .int, .integer: return "0"
                case .bool, .boolean: return "false"
                case .ip: return "10.0.0.1"
                case .cidr: return "10.0.0.0/16"
                case .port: return "1"
                case .url: return "http://site-value"
                case .path: return "/site-value"
                case .enumeration: return declaration.values?.first ?? "site-value"
                }
            }
            let path = scratch + "/\(position)-" + (file as NSString).lastPathComponent
            do { try Data(rendered.utf8).write(to: URL(fileURLWithPath: path)) } catch {
                throw ChartError(message: "cannot write \(path): \(error.localizedDescription)")
            }
            files.append(path)
        }
        return files
    }

    /// Every component, in order. A component that fails (its chart cannot be resolved or
    /// rendered, or its manifests read) does not stop the others: it is listed with its reason
    /// in `error` and no images.
    public func findEach(_ components: [BundleManifest.Component], warn: @Sendable (String) -> Void = { _ in }) async -> [ComponentImages] {
        var results: [ComponentImages] = []
        for component in components {
            do { results.append(try await find(component, warn: warn)) } catch {
                // The entry names the component: a message's own "component "x": " prefix would repeat it.
                var reason = "\(error)"
                let prefix = "component \"\(component.name)\": "
                if reason.hasPrefix(prefix) { reason.removeFirst(prefix.count) }
                results.append(
                    ComponentImages(
                        name: component.name, chart: component.chart.description, images: [], guessed: helm == nil,
                        error: reason))
            }
        }
        return results
    }

    public func find(_ component: BundleManifest.Component, warn: @Sendable (String) -> Void = { _ in }) async throws -> ComponentImages {
        try await findWithChart(component, warn: warn).images
    }

    /// The component's resolved chart and its images. `chart` replaces the manifest's chart source
    /// (a locked build asks for the exact version its lock names).
    public func findWithChart(
        _ component: BundleManifest.Component, chart source: BundleManifest.ChartSource? = nil, warn: @Sendable (String) -> Void = { _ in }
    ) async throws -> (chart: ResolvedChart, images: ComponentImages) {
        let chart: ResolvedChart
        do { chart = try await resolver.resolve(source ?? component.chart) } catch {
            throw ChartError(message: "component \"\(component.name)\": \(error)")
        }
        var found: [ImageDiscovery.Found] = [], images: [DiscoveredImage] = []
        if let helm {
            let directory = try PrivateScratch(in: FileManager.default.temporaryDirectory.path)
            // Only scratch space: a directory left behind in TMPDIR changes no result.
            defer { directory.remove() }
            let scratch = directory.path
            let rendered = try await helm.template(
                release: component.releaseName, chart: chart.archive, namespace: component.namespace,
                valuesFiles: try placeholderValues(component, scratch: scratch), component: component.name)
            do {
                images = try ImageDiscovery.discover(renderedManifests: rendered, chartAnnotations: chart.annotations) {
                    warn("component \"\(component.name)\": \($0)")
                }
            } catch {
                throw ChartError(message: "component \"\(component.name)\": \(error)")
            }
        } else {
            do { found = try await BlockingWork.run { try ValuesImageGuesser.guess(chart: chart, valuesFiles: component.values) } } catch {
                throw ChartError(message: "component \"\(component.name)\": \(error)")
            }
        }
        for extra in component.extraImages { found.append(.init(reference: extra.description, source: "images.extra", testOnly: false)) }
        let extraImages = try ImageDiscovery.merge(found)
        for image in extraImages {
            if let index = images.firstIndex(where: { $0.reference == image.reference }) {
                images[index].sources += image.sources
                images[index].testOnly = images[index].testOnly && image.testOnly
            } else {
                images.append(image)
            }
        }
        for excluded in component.excludedImages where !images.contains(where: { $0.reference == excluded }) {
            warn("component \"\(component.name)\": images.exclude names \(excluded), which the chart does not use")
        }
        images.removeAll { component.excludedImages.contains($0.reference) }
        images.sort { $0.reference < $1.reference }
        return (chart, ComponentImages(name: component.name, chart: "\(chart.name) \(chart.version)", images: images, guessed: helm == nil))
    }
}
