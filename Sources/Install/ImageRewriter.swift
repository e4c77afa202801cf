import ChartFormat
import Foundation
import OCI
import Outcomes
import Rendering
import Yams

/// Helm's post-renderer: rewrites every image of the rendered manifests to where `push` put it
/// (`relocation.json`). Every string outside `metadata`, `status` and Secret data is read token by
/// token; a token that is exactly an image of the bundle (normalized: `nginx` under `image` is
/// `docker.io/library/nginx`) is replaced, and so are images joined inside ConfigMap documents
/// (`rewriteEmbedded`). Maps joining an image from `registry`/`repository`/`image`/`tag`/`version`
/// siblings get registry and repository rewritten, keeping the tag, which may be one the bundle
/// does not hold (NVIDIA's operator appends the node OS to the driver tag).
///
/// The output is then read with the discovery `airgap-bundle images` uses: every image must be in
/// the site registry or in the component's `images.exclude`; anything else fails, naming it, so
/// nothing reaches the cluster that would pull from the internet.
public struct ImageRewriter: Sendable {
    /// Normalized source reference → target.
    let targets: [String: String]
    /// Normalized source repository (`docker.io/library/nginx`) → target repository.
    let repositories: [String: String]
    /// Normalized targets, to check the output.
    let targetSet: Set<String>
    /// Normalized references left as they are.
    let kept: Set<String>
    /// Added to every pod spec's `imagePullSecrets` (`PodSpecPullSecrets`).
    let imagePullSecret: String?

    /// Refuses a relocation entry or kept image that is not an image reference (it would be left unrewritten).
    public init(relocation: RelocationMap, keep: [String] = [], imagePullSecret: String? = nil) throws {
        self.imagePullSecret = imagePullSecret
        var targets: [String: String] = [:], repositories: [String: String] = [:]
        var targetSet = Set<String>()
        for (position, entry) in relocation.images.enumerated() {
            let source: ImageReference, target: ImageReference
            do { (source, target) = (try ImageReference(parsing: entry.source), try ImageReference(parsing: entry.target)) } catch {
                throw RewriteError(
                    message: "relocation.json image \(position + 1) (\(entry.source) to \(entry.target)) is not an image reference: \(error)")
            }
            targets[source.description] = entry.target
            repositories[source.name] = target.name
            targetSet.insert(target.description)
            if let tag = source.tag, source.digest != nil {
                // Charts write `repo:tag` for an image the bundle pinned by digest.
                targets[ImageReference(registry: source.registry, repository: source.repository, tag: tag, digest: nil).description] = entry.target
            }
        }
        self.targets = targets
        self.repositories = repositories
        self.targetSet = targetSet
        self.kept = Set(
            try keep.map { image in
                do { return try ImageReference(parsing: image).description } catch {
                    throw RewriteError(message: "images.exclude names \(image), which is not an image reference: \(error)")
                }
            })
    }

    /// The most bytes of rendered manifests one post-render reads (Helm itself cannot store a
    /// release whose manifests compress to more than 1 MiB, about 10 MB of YAML).
    public static let maximumInputBytes = 32 << 20
    public static let maximumDocuments = 10_000

    /// Rewrites `helm template` output, each document read within `BoundedYAML.Limits.renderedManifest`.
    public func rewrite(_ text: String) throws -> String {
        let size = text.utf8.count
        guard size <= Self.maximumInputBytes else {
            throw RewriteError(message: "the rendered manifests are \(size) bytes, over the limit of \(Self.maximumInputBytes) bytes")
        }
        let documents = ImageDiscovery.splitDocuments(text)
        guard documents.count <= Self.maximumDocuments else {
            throw RewriteError(message: "the rendered manifests hold \(documents.count) documents, over the limit of \(Self.maximumDocuments)")
        }
        var output = ""
        for (position, (source, body)) in documents.enumerated() {
            let place = source ?? "#\(position + 1)"
            let node: Node?
            do { node = try BoundedYAML.compose(body, limits: .renderedManifest) } catch {
                throw RewriteError(message: "rendered manifest \(place) not read: \(error)")
            }
            guard let node else { continue }
            var rewritten = try rewriteDocument(node)
            if let imagePullSecret { rewritten = PodSpecPullSecrets.add(imagePullSecret, to: rewritten) }
            let serialized: String
            do { serialized = try Yams.serialize(node: rewritten, width: -1, allowUnicode: true) } catch {
                throw RewriteError(message: "cannot write rendered manifest \(place): \(error)")
            }
            output += "---\n" + (source.map { "# Source: \($0)\n" } ?? "") + serialized
        }
        try check(output)
        return output
    }

    /// Every image discovery finds in `output` must be in the site registry (or kept).
    func check(_ output: String) throws {
        let found: [DiscoveredImage]
        do { found = try ImageDiscovery.discover(renderedManifests: output) } catch { throw RewriteError(message: "\(error)") }
        for image in found where !targetSet.contains(image.reference) && !kept.contains(image.reference) {
            // Discovery parsed every reference it returns: this cannot fail.
            if let reference = try? ImageReference(parsing: image.reference), repositories.values.contains(reference.name) { continue }
            guard targets[image.reference] == nil else {
                throw RewriteError(
                    message:
                        "image \(image.reference) (\(image.sources.joined(separator: ", "))) is in the bundle but is written in a form the post-renderer cannot rewrite in place: nothing was applied"
                )
            }
            throw RewriteError(
                message: "image \(image.reference) (\(image.sources.joined(separator: ", "))) is not in the bundle: nothing was applied"
            )
        }
    }

    private func rewriteDocument(_ node: Node) throws -> Node {
        guard case .mapping(let mapping) = node else { return node }
        let kind = mapping["kind"]?.string ?? ""
        let owner = "ConfigMap \(mapping["metadata"]?.mapping?["name"]?.string ?? "?")"
        var pairs: [(Node, Node)] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            if ["metadata", "status"].contains(name) || kind == "Secret" && ["data", "stringData"].contains(name) {
                pairs.append((key, value))
            } else if kind == "ConfigMap", ["data", "binaryData"].contains(name), case .mapping(let data) = value {
                let each = name == "data" ? rewriteData : rewriteBinary
                let entries = try data.map { ($0.key, try each($0.value, $0.key.string ?? "", owner)) }
                pairs.append((key, .mapping(Node.Mapping(entries, data.tag, data.style, data.mark))))
            } else {
                pairs.append((key, rewrite(value, key: name)))
            }
        }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }

    /// A `binaryData` value that decodes to UTF-8 text is rewritten as text and encoded again.
    private func rewriteBinary(_ node: Node, key: String, owner: String) throws -> Node {
        guard let scalar = node.scalar, let data = Data(base64Encoded: scalar.string.filter { !$0.isWhitespace }),
            let text = String(data: data, encoding: .utf8)
        else { return node }
        let rewritten = try rewriteEmbedded(text, key: "", place: "\(owner) binaryData[\(key)]", named: key)
        guard rewritten != text else { return node }
        return .scalar(Node.Scalar(Data(rewritten.utf8).base64EncodedString(), scalar.tag, .any, scalar.mark))
    }

    /// A ConfigMap `data` value: text, perhaps a YAML or JSON document (`rewriteEmbedded`).
    private func rewriteData(_ node: Node, key: String, owner: String) throws -> Node {
        guard let scalar = node.scalar else { return rewrite(node, key: key) }
        let text = try rewriteEmbedded(scalar.string, key: key, place: "\(owner) data[\(key)]", named: key)
        return text == scalar.string ? node : .scalar(Node.Scalar(text, scalar.tag, scalar.style == .plain ? .any : scalar.style, scalar.mark))
    }

    func rewrite(_ node: Node, key: String) -> Node {
        switch node {
        case .scalar(let scalar):
            let text = rewriteString(scalar.string, key: key)
            return text == scalar.string ? node : .scalar(Node.Scalar(text, scalar.tag, scalar.style == .plain ? .any : scalar.style, scalar.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map { rewrite($0, key: key) }, sequence.tag, sequence.style, sequence.mark))
        case .mapping(let mapping):
            var pairs = mapping.map { ($0.key, rewrite($0.value, key: $0.key.string ?? "")) }
            rewriteJoined(&pairs)
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .alias:
            return node
        }
    }

    /// A whole value that is an image (`nginx` under `image` too), else each token that is one.
    func rewriteString(_ text: String, key: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if key == "image" || key.hasSuffix("Image"), let reference = try? ImageReference(parsing: trimmed),
            let target = targets[reference.description]
        {
            return text.replacingOccurrences(of: trimmed, with: target)
        }
        var output = ""
        var token = ""
        func flush() {
            defer { token = "" }
            guard token.contains("/") || token.contains(":"), token.contains(":") || token.contains("@"),
                let reference = try? ImageReference(parsing: token), reference.tag != nil || reference.digest != nil,
                let target = targets[reference.description]
            else { output += token; return }
            output += target
        }
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber || "._/:@-".contains(character) {
                token.append(character)
            } else {
                flush()
                output.append(character)
            }
        }
        flush()
        return output
    }

    /// `registry`/`repository`/`image` beside `tag`/`version`/`digest`: the same joins discovery makes.
    private func rewriteJoined(_ pairs: inout [(Node, Node)]) {
        func field(_ name: String) -> String? {
            guard let value = pairs.first(where: { $0.0.string == name })?.1.scalar?.string else { return nil }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
        func set(_ name: String, _ value: String) {
            guard let index = pairs.firstIndex(where: { $0.0.string == name }), let scalar = pairs[index].1.scalar else { return }
            pairs[index].1 = .scalar(Node.Scalar(value, scalar.tag, scalar.style == .plain ? .any : scalar.style, scalar.mark))
        }
        let tag = field("tag") ?? field("version")
        let suffix = field("digest").map { "@" + $0 } ?? tag.map { ($0.hasPrefix("sha256:") ? "@" : ":") + $0 } ?? ""
        guard !suffix.isEmpty else { return }
        func targetRepository(_ candidate: String) -> ImageReference? {
            guard let reference = try? ImageReference(parsing: candidate), let repository = repositories[reference.name] else { return nil }
            return try? ImageReference(parsing: repository)
        }
        if let repository = field("repository"), let image = field("image"), tag != nil, field("registry") == nil {
            guard let target = targetRepository("\(repository)/\(image)\(suffix)") else { return }
            let parts = target.name.split(separator: "/")
            set("repository", parts.dropLast().joined(separator: "/"))
            set("image", String(parts.last!))
            return
        }
        // The repository, else an image without its own tag or digest, joined after the registry.
        let image = field("image").flatMap { !$0.contains("@") && !($0.split(separator: "/").last ?? "").contains(":") ? $0 : nil }
        guard let (key, name) = field("repository").map({ ("repository", $0) }) ?? image.map({ ("image", $0) }) else { return }
        let registry = field("registry")
        guard let target = targetRepository((registry.map { "\($0)/" } ?? "") + name + suffix) else { return }
        if registry != nil {
            set("registry", target.registry)
            set(key, target.repository)
        } else {
            set(key, target.name)
        }
    }
}

/// The rendered manifests name an image the bundle does not hold, or cannot be read (exit status 1).
public struct RewriteError: ExitStatusError, Sendable {
    public var exitStatus: ExitStatus { .failed }
    public let message: String
    public var description: String { message }
}
