/// Runs a parsed template with Go's text/template semantics as helmfile sets them up: a
/// missing map key is an error (helmfile's `missingkey=error`), a field of nil is an error, nil
/// prints `<no value>`, `range` over a map goes in sorted key order. `lenient` (helmfile's first
/// pass over a helmfile, before its environment is known) reads missing keys as nil instead.
struct TemplateEvaluator {
    let file: String
    let root: TemplateValue
    var lenient = false

    /// Renders `text` (a helmfile or a values file) with `root` as `.` and `$`.
    static func render(_ text: String, file: String, root: TemplateValue, lenient: Bool = false) throws -> String {
        let nodes = try TemplateParser.parse(text, file: file)
        let evaluator = TemplateEvaluator(file: file, root: root, lenient: lenient)
        var output = ""
        try evaluator.run(nodes, dot: root, variables: ["": root], into: &output)
        return output
    }

    /// Rendered text stops here: a template that loops over loops must not exhaust memory.
    static let maximumOutput = 64 << 20

    private func run(_ nodes: [TemplateNode], dot: TemplateValue, variables: [String: TemplateValue], into output: inout String) throws {
        for node in nodes {
            guard output.utf8.count <= Self.maximumOutput else {
                throw HelmfileImportError(file: file, line: 0, "renders to more than \(Self.maximumOutput) bytes")
            }
            switch node {
            case .text(let text): output += text
            case .action(let pipeline): output += try evaluate(pipeline, dot: dot, variables: variables).printed
            case .conditional(let branches, let otherwise):
                var chosen = otherwise
                for branch in branches where try truth(branch.condition, dot: dot, variables: variables) {
                    chosen = branch.body
                    break
                }
                try run(chosen, dot: dot, variables: variables, into: &output)
            case .range(let key, let value, let over, let body, let otherwise):
                let collection = try evaluate(over, dot: dot, variables: variables)
                var items: [(TemplateValue, TemplateValue)] = []
                switch collection {
                case .list(let list): items = list.enumerated().map { (.number(String($0.offset)), $0.element) }
                case .map: items = collection.sortedPairs.map { (.string($0.key), $0.value) }
                case .null: items = []
                default: throw error(over.line, "range can't iterate over \(collection.kind)")
                }
                if items.isEmpty { try run(otherwise, dot: dot, variables: variables, into: &output) }
                for (index, item) in items {
                    var scope = variables
                    if let key { scope[key] = index }
                    if let value { scope[value] = item }
                    try run(body, dot: item, variables: scope, into: &output)
                }
            }
        }
    }

    private func truth(_ pipeline: TemplatePipeline, dot: TemplateValue, variables: [String: TemplateValue]) throws -> Bool {
        let value = try evaluate(pipeline, dot: dot, variables: variables)
        if case .siteValue(let use) = value {
            throw error(pipeline.line, "site value \(use.name) decides an if: it is given at the site, so the import cannot choose the branch")
        }
        return value.isTrue
    }

    func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue, variables: [String: TemplateValue]) throws -> TemplateValue {
        var previous: TemplateValue?
        for command in pipeline.commands {
            previous = try evaluate(command, piped: previous, dot: dot, variables: variables, line: pipeline.line)
        }
        return previous ?? .null
    }

    private func evaluate(
        _ command: [TemplateOperand], piped: TemplateValue?, dot: TemplateValue, variables: [String: TemplateValue], line: Int
    ) throws -> TemplateValue {
        if case .function(let name) = command[0] {
            var arguments: [TemplateValue] = []
            for operand in command.dropFirst() { arguments.append(try value(of: operand, dot: dot, variables: variables, line: line)) }
            if let piped { arguments.append(piped) }
            return try TemplateFunctions(file: file, line: line).call(name, arguments, lenient: lenient)
        }
        guard command.count == 1, piped == nil else {
            throw error(line, "\(command[0].written) is not a function: it takes no arguments" + (piped == nil ? "" : " and no piped value"))
        }
        return try value(of: command[0], dot: dot, variables: variables, line: line)
    }

    private func value(of operand: TemplateOperand, dot: TemplateValue, variables: [String: TemplateValue], line: Int) throws -> TemplateValue {
        switch operand {
        case .literal(let value): return value
        case .parenthesized(let pipeline): return try evaluate(pipeline, dot: dot, variables: variables)
        case .function(let name): return try TemplateFunctions(file: file, line: line).call(name, [], lenient: lenient)
        case .field(let variable, let path):
            guard var current = variable == nil ? dot : variables[variable!] else { throw error(line, "undefined variable $\(variable!)") }
            var walked = variable.map { "$" + $0 } ?? ""
            for name in path {
                switch current {
                case .map:
                    guard let next = current[name] else {
                        if lenient { return .null }
                        throw error(line, "\(walked.isEmpty ? "." : walked) has no key \"\(name)\" (\(walked).\(name) is not set)")
                    }
                    current = next
                case .null:
                    if lenient { return .null }
                    throw error(line, "\(walked).\(name): \(walked) is nil (nil pointer evaluating .\(name))")
                case .siteValue(let use):
                    throw error(line, "\(walked).\(name): \(walked) is site value \(use.name), a single value")
                default:
                    throw error(line, "\(walked).\(name): can't evaluate field \(name) in a \(current.kind)")
                }
                walked += "." + name
            }
            return current
        }
    }

    private func error(_ line: Int, _ message: String) -> HelmfileImportError { HelmfileImportError(file: file, line: line, message) }
}
