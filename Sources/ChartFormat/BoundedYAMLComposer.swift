internal import CYaml
import Yams

/// Builds Yams nodes from libyaml's events with every limit checked as each node is made, so
/// no input costs more memory or time than its limits allow, whatever it holds: nodes made,
/// nesting depth, documents, and what aliases expand to (every use of an anchor counts its whole
/// subtree again, in nodes and in scalar bytes, so a "billion laughs" text is refused after a few
/// thousand steps instead of composing or serializing gigabytes).
///
/// Keys are never hashed as nodes (Yams' own composer hashes every key, so an alias of a bomb
/// as a key costs exponential time before any count): a scalar key given twice in one mapping
/// is refused, as Helm refuses it, by its text; a collection as a key (which Kubernetes never
/// reads, and an unrendered values template holds: `{{ .Values.x }}`) is counted like any node
/// and kept.
final class BoundedYAMLComposer {
    private let limits: BoundedYAML.Limits
    private var parser = yaml_parser_t()
    /// An anchored node with what one use of it costs.
    private struct Anchored {
        var node: Node
        var expandedNodes: Int
        var expandedBytes: Int
        var height: Int
    }
    private var anchors: [String: Anchored] = [:]
    private var madeNodes = 0
    private var expandedNodes = 0
    private var expandedBytes = 0
    private var depth = 0

    private init(limits: BoundedYAML.Limits) { self.limits = limits }

    /// One constructor for every tag: Yams' `Constructor.default` builds its three tables anew
    /// each time it is read (about 2 KB per node when every tag gets its own). Never mutated.
    nonisolated(unsafe) private static let constructor = Constructor.default

    private static func tag(_ name: String?) -> Tag {
        Tag(name.map(Tag.Name.init(rawValue:)) ?? .implicit, .default, constructor)
    }

    static func composeAll(_ text: String, limits: BoundedYAML.Limits) throws(BoundedYAML.Refusal) -> [Node] {
        let composer = BoundedYAMLComposer(limits: limits)
        var text = text
        let result: Result<[Node], BoundedYAML.Refusal> = text.withUTF8 { bytes in
            do throws(BoundedYAML.Refusal) { return .success(try composer.run(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func run(_ bytes: UnsafeBufferPointer<UInt8>) throws(BoundedYAML.Refusal) -> [Node] {
        guard yaml_parser_initialize(&parser) == 1 else { throw .invalid("the YAML parser could not start", line: nil) }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        var documents: [Node] = []
        while true {
            var event = try next()
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                guard documents.count < limits.maximumDocuments else { throw .tooManyDocuments(limit: limits.maximumDocuments) }
                var first = try next()
                defer { yaml_event_delete(&first) }
                documents.append(try node(from: &first).node)
                var end = try next()  // YAML_DOCUMENT_END_EVENT
                yaml_event_delete(&end)
                anchors = [:]  // anchors do not cross documents
            default:
                continue  // YAML_STREAM_START_EVENT
            }
        }
    }

    private func next() throws(BoundedYAML.Refusal) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
            // No structured answer exists: libyaml reports its own nesting limit (reached by its
            // scanner, which reads flow collections ahead of the events we count) as a generic
            // YAML_PARSER_ERROR whose only distinction is this text. Missing it costs only the
            // wording: the input is refused as invalid YAML all the same.
            if problem.contains("Maximum nesting level") { throw .tooDeep(limit: limits.maximumDepth) }
            let context = parser.context.map { " " + String(cString: $0) } ?? ""
            throw .invalid(problem + context, line: Int(parser.problem_mark.line) + 1)
        }
        return event
    }

    private func mark(_ event: yaml_event_t) -> Mark? {
        YAMLMark.make(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    private func count(bytes: Int) throws(BoundedYAML.Refusal) {
        madeNodes += 1
        expandedNodes += 1
        expandedBytes += bytes
        guard madeNodes <= limits.maximumNodes else { throw .tooManyNodes(limit: limits.maximumNodes) }
        try checkExpansion()
    }

    private func checkExpansion() throws(BoundedYAML.Refusal) {
        guard expandedNodes <= limits.maximumExpandedNodes else { throw .expandsTooFar(nodes: limits.maximumExpandedNodes) }
        guard expandedBytes <= limits.maximumExpandedBytes else { throw .expandsTooLarge(bytes: limits.maximumExpandedBytes) }
    }

    /// The node that starts with `event` (its content read to its end), and its height.
    private func node(from event: inout yaml_event_t) throws(BoundedYAML.Refusal) -> (node: Node, height: Int) {
        let startNodes = expandedNodes, startBytes = expandedBytes
        var ownHeight = 0
        let made: Node
        let anchor: String?
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else { throw .invalid("alias *\(name) names no anchor", line: mark(event)?.line) }
            guard depth + anchored.height <= limits.maximumDepth else { throw .tooDeep(limit: limits.maximumDepth) }
            expandedNodes += anchored.expandedNodes
            expandedBytes += anchored.expandedBytes
            try checkExpansion()
            return (anchored.node, anchored.height)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let length = scalar.length
            try count(bytes: length)
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: length), as: UTF8.self)
            let tag = scalar.quoted_implicit == 1 ? Tag.Name.str.rawValue : string(scalar.tag)
            let style = Node.Scalar.Style(rawValue: numericCast(scalar.style.rawValue)) ?? .any
            made = .scalar(Node.Scalar(value, Self.tag(tag), style, mark(event)))
            anchor = string(scalar.anchor)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            anchor = string(start.anchor)
            let tag = try enterCollection(implicit: start.implicit, tag: start.tag)
            let at = mark(event)
            var items: [Node] = []
            while true {
                var child = try next()
                defer { yaml_event_delete(&child) }
                if child.type == YAML_SEQUENCE_END_EVENT { break }
                let item = try node(from: &child)
                items.append(item.node)
                ownHeight = max(ownHeight, item.height + 1)
            }
            depth -= 1
            made = .sequence(Node.Sequence(items, tag, .any, at))
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            anchor = string(start.anchor)
            let tag = try enterCollection(implicit: start.implicit, tag: start.tag)
            let at = mark(event)
            var pairs: [(Node, Node)] = []
            var keys = Set<String>()
            while true {
                var keyEvent = try next()
                defer { yaml_event_delete(&keyEvent) }
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let keyLine = mark(keyEvent)?.line
                let key = try node(from: &keyEvent)
                if case .scalar(let keyScalar) = key.node, !keys.insert(keyScalar.string).inserted {
                    throw .invalid("the key \"\(keyScalar.string.prefix(80))\" is given twice in one mapping", line: keyLine)
                }
                ownHeight = max(ownHeight, key.height + 1)
                var valueEvent = try next()
                defer { yaml_event_delete(&valueEvent) }
                let value = try node(from: &valueEvent)
                pairs.append((key.node, value.node))
                ownHeight = max(ownHeight, value.height + 1)
            }
            depth -= 1
            made = .mapping(Node.Mapping(pairs, tag, .any, at))
        default:
            throw .invalid("unexpected YAML event", line: mark(event)?.line)
        }
        if let anchor {
            anchors[anchor] = Anchored(
                node: made, expandedNodes: expandedNodes - startNodes, expandedBytes: expandedBytes - startBytes, height: ownHeight)
        }
        return (made, ownHeight)
    }

    /// Counts a collection's node, goes one level deeper, and gives its tag.
    private func enterCollection(implicit: Int32, tag: UnsafeMutablePointer<UInt8>?) throws(BoundedYAML.Refusal) -> Tag {
        try count(bytes: 0)
        depth += 1
        guard depth <= limits.maximumDepth else { throw .tooDeep(limit: limits.maximumDepth) }
        return Self.tag(implicit != 0 ? nil : string(tag))
    }

    private func string(_ pointer: UnsafeMutablePointer<UInt8>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
