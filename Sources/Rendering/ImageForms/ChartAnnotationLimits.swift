import ChartFormat
extension ImageDiscovery {
    /// The Chart.yaml annotations that list images (`artifacthub.io/images`, `helm.sh/images`),
    /// with any whose text is over `BoundedYAML`'s limits for embedded documents taken out (and
    /// `warn` told why). Helm reads these annotations as plain strings, so the YAML inside them
    /// is the chart's, unchecked: what remains is safe to hand to a YAML loader.
    static func annotationsWithinLimits(_ annotations: [String: String], warn: (String) -> Void) -> [String: String] {
        var kept = annotations
        for key in ["artifacthub.io/images", "helm.sh/images"] {
            guard let text = annotations[key] else { continue }
            do { _ = try BoundedYAML.loadAll(text, limits: .embeddedDocument) } catch {
                if case .invalid = error { continue }
                warn("Chart.yaml annotation \(key) not read: \(error)")
                kept[key] = nil
            }
        }
        return kept
    }
}
