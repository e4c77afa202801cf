import Yams

/// A ConfigMap value that is itself a YAML or JSON document (an operator's `config.yaml`,
/// `defaults.json`): its image tokens are replaced as in any string, then images it joins from
/// `registry`/`repository`/`image`/`tag` fields are rewritten in place — only the characters of
/// those values change; comments, quoting, order and spacing stay byte for byte. A joined field
/// that cannot be found at its place in the text (a value folded over lines) is left, and the
/// output check then refuses the image, naming the ConfigMap, key and image.
extension ImageRewriter {
    /// The largest value read as a document (`BoundedYAML.Limits.embeddedDocument`'s size).
    static let embeddedDocumentBytes = 1 << 20
    /// Nodes one embedded value may hold (aliases count each use): more is left unparsed.
    static let embeddedDocumentNodes = 100_000

    func rewriteEmbedded(_ text: String, key: String) -> String {
        let tokens = rewriteString(text, key: key)
        guard tokens.utf8.count <= Self.embeddedDocumentBytes, tokens.contains(":") else { return tokens }
        var documents: [Node] = []
        guard var sequence = try? Yams.compose_all(yaml: tokens) else { return tokens }
        while let document = sequence.next() { documents.append(document) }
        guard sequence.error == nil else { return tokens }
        var budget = Self.embeddedDocumentNodes
        var edits: [TextEdit] = []
        for document in documents {
            if case .scalar = document { continue }  // plain text (a script), not a document
            guard Self.fits(document, budget: &budget) else { return tokens }
            Self.differences(document, rewrite(document, key: ""), into: &edits)
        }
        return TextEdit.apply(edits, to: tokens)
    }

    /// Counts `node`'s nodes against `budget`; false once it is spent.
    private static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let sequence): return sequence.allSatisfy { fits($0, budget: &budget) }
        case .mapping(let mapping): return mapping.allSatisfy { fits($0.key, budget: &budget) && fits($0.value, budget: &budget) }
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

    /// Applies the edits from the last to the first; an edit whose `old` is not on its line
    /// is not made.
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
