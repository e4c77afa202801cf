import ImagePull
import Registry
import Terminal

/// What `pull` prints: one line per image, or JSON.
struct PullReport: Encodable {
    struct Failure: Encodable { var reference: String; var message: String }
    var layout: String
    var images: [PulledImage]
    var failures: [Failure]

    init(layout: String, outcomes: [PullOutcome]) {
        self.layout = layout
        images = outcomes.compactMap { try? $0.result.get() }
        failures = outcomes.compactMap { outcome in
            guard case .failure(let failure) = outcome.result else { return nil }
            return Failure(reference: outcome.reference.description, message: failure.message)
        }
    }

    func lines() -> String {
        images.map { image in
            var line = "\(image.reference)  \(image.digest)  \(ByteCount.format(image.size))  \(image.platforms.joined(separator: ","))"
            if let source = image.sourceIndexDigest { line += "  (filtered from index \(source.short))" }
            return line + "\n"
        }.joined()
    }
}
