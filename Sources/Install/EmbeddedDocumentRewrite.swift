import ChartFormat
import OCI
import Yams

/// A ConfigMap value that is itself a YAML or JSON document (`config.yaml`, `defaults.json`): its
/// image tokens are replaced as in any string, then images it joins from `registry`/`repository`/
/// `image`/`tag` fields are rewritten in place, byte for byte around them (a field folded over
/// lines is left, and the output check refuses its image).
///
/// Read within `BoundedYAML.Limits.embeddedDocument`; over them is an error naming the ConfigMap
/// and key. Invalid YAML is an error under a key naming a document (`*.yaml`, `*.yml`, `*.json`);
/// under any other key it is text (a script, an `nginx.conf`) that keeps its token rewrites,
/// unless it still names a repository of the bundle: discovery cannot read that either.
extension ImageRewriter {
    /// Whether a ConfigMap key names a YAML or JSON document.
    static func keyNamesDocument(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return [".yaml", ".yml", ".json"].contains { lowered.hasSuffix($0) }
    }

    /// `place` names the value in errors (`ConfigMap NAME data[KEY]`); `named` is the ConfigMap key.
    func rewriteEmbedded(_ text: String, key: String, place: String, named: String) throws -> String {
        let tokens = rewriteString(text, key: key)
        let declaredDocument = Self.keyNamesDocument(named)
        guard declaredDocument || tokens.contains(":") else { return tokens }
        let documents: [Node]
        do { documents = try BoundedYAML.composeAll(tokens, limits: .embeddedDocument) } catch {
            if case .invalid = error, !declaredDocument {
                guard let left = bundleRepositoryNamed(in: tokens) else { return tokens }
                throw RewriteError(
                    message:
                        "\(place) is not valid YAML (\(error)) and names \(left), an image repository of the bundle, in a form the post-renderer cannot rewrite: nothing was applied"
                )
            }
            throw RewriteError(message: "\(place) not read, so its images cannot be rewritten: \(error)")
        }
        var edits: [TextEdit] = []
        for document in documents {
            if case .scalar = document { continue }  // plain text (a script), not a document
            Self.differences(document, rewrite(document, key: ""), into: &edits)
        }
        return TextEdit.apply(edits, to: tokens)
    }

    /// The first token of `text` naming a repository the bundle relocates (`quay.io/acme/app`, with
    /// a tag, or its path `acme/app` alone), or nil.
    func bundleRepositoryNamed(in text: String) -> String? {
        let tokens = text.split { !($0.isASCII && ($0.isLetter || $0.isNumber || "._/:@-".contains($0))) }.map(String.init)
        return tokens.first { token in
            guard token.contains("/") else { return false }  // a bare word (`nginx`) is not taken for an image
            // A token that is not an image reference is text.
            if let reference = try? ImageReference(parsing: token), repositories[reference.name] != nil { return true }
            return repositories.keys.contains { $0.hasSuffix("/" + token) }
        }
    }

    /// The scalars `rewrite` changed, at their place in the text.
    private static func differences(_ before: Node, _ after: Node, into edits: inout [TextEdit]) {
        switch (before, after) {
        case (.scalar(let old), .scalar(let new)):
            if old.string != new.string, let mark = old.mark {
                edits.append(TextEdit(line: mark.line, column: mark.column, old: old.string, new: new.string))
            }
        case (.sequence(let old), .sequence(let new)):
            for (a, b) in zip(old, new) { differences(a, b, into: &edits) }
        case (.mapping(let old), .mapping(let new)):
            for (a, b) in zip(old, new) { differences(a.value, b.value, into: &edits) }
        default: break
        }
    }
}

/// One value replaced in a text: `old` at or after (line, column) on that line becomes `new`.
struct TextEdit {
    /// 1-based, as Yams marks count (columns in characters).
    var line: Int
    var column: Int
    var old: String
    var new: String

    /// Applies the edits from the last to the first; one whose `old` is not on its line is not made.
    static func apply(_ edits: [TextEdit], to text: String) -> String {
        guard !edits.isEmpty else { return text }
        var scalars = Array(text.unicodeScalars)
        var lineStarts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { lineStarts.append(index + 1) }
        for edit in edits.sorted(by: { ($0.line, $0.column) > ($1.line, $1.column) }) {
            guard edit.line >= 1, edit.line <= lineStarts.count else { continue }
            let start = lineStarts[edit.line - 1] + max(edit.column - 1, 0)
            let end = edit.line < lineStarts.count ? lineStarts[edit.line] : scalars.count
            let old = Array(edit.old.unicodeScalars)
            guard !old.isEmpty, start <= end else { continue }
            var position = start
            while position + old.count <= end {
                if Array(scalars[position..<(position + old.count)]) == old {
                    scalars.replaceSubrange(position..<(position + old.count), with: Array(edit.new.unicodeScalars))
                    break
                }
                position += 1
            }
        }
        var output = String.UnicodeScalarView()
        output.append(contentsOf: scalars)
        return String(output)
    }
}
