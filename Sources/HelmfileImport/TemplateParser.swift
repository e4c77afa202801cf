/// Parses the pieces `TemplateLexer` makes into `TemplateNode`s: text, `{{ pipeline }}`, `if` /
/// `else if` / `else` / `end` and `range` (with `$k, $v :=`). Every other keyword (`with`,
/// `define`, `template`, `block`, variables assigned outside `range`) is an error naming the
/// file, line and construct.
struct TemplateParser {
    let file: String
    private var pieces: [TemplateLexer.Piece]
    private var position = 0
    /// Blocks (`if`, `range`) open now; bounded so hostile nesting cannot exhaust the stack.
    private var depth = 0
    static let maximumDepth = 64

    init(file: String, pieces: [TemplateLexer.Piece]) {
        self.file = file
        self.pieces = pieces
    }

    static func parse(_ text: String, file: String) throws -> [TemplateNode] {
        var parser = TemplateParser(file: file, pieces: try TemplateLexer(file: file).pieces(text))
        let (nodes, stop) = try parser.parseList()
        if let stop { throw HelmfileImportError(file: file, line: stop.line, "unexpected {{ \(stop.keyword) }}") }
        return nodes
    }

    /// What ended a list: `end`, `else` or `else if …`.
    private struct Stop {
        var keyword: String
        var tokens: [TemplateLexer.Token]
        var line: Int
    }

    private mutating func parseList() throws -> ([TemplateNode], Stop?) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw error(0, "if/range nested deeper than \(Self.maximumDepth) levels") }
        var nodes: [TemplateNode] = []
        while position < pieces.count {
            let piece = pieces[position]
            position += 1
            switch piece {
            case .text(let text): nodes.append(.text(text))
            case .action(let tokens, let line):
                if case .identifier(let word) = tokens[0].kind {
                    switch word {
                    case "end", "else": return (nodes, Stop(keyword: word, tokens: Array(tokens.dropFirst()), line: line))
                    case "if": nodes.append(try parseIf(Array(tokens.dropFirst()), line: line))
                    case "range": nodes.append(try parseRange(Array(tokens.dropFirst()), line: line))
                    case "with", "define", "template", "block", "break", "continue":
                        throw error(line, "{{ \(word) }} is not supported by import-helmfile")
                    default: nodes.append(.action(try pipeline(tokens, line: line)))
                    }
                } else {
                    nodes.append(.action(try pipeline(tokens, line: line)))
                }
            }
        }
        return (nodes, nil)
    }

    private mutating func parseIf(_ tokens: [TemplateLexer.Token], line: Int) throws -> TemplateNode {
        var branches: [(TemplatePipeline, [TemplateNode])] = []
        var condition = try pipeline(tokens, line: line)
        while true {
            let (body, stop) = try parseList()
            branches.append((condition, body))
            guard let stop else { throw error(line, "{{ if }} without {{ end }}") }
            if stop.keyword == "end" { return .conditional(branches: branches, otherwise: []) }
            if let first = stop.tokens.first, case .identifier("if") = first.kind {
                condition = try pipeline(Array(stop.tokens.dropFirst()), line: stop.line)
                continue
            }
            guard stop.tokens.isEmpty else { throw error(stop.line, "only {{ else }} or {{ else if … }} is supported") }
            let (otherwise, end) = try parseList()
            guard end?.keyword == "end", end?.tokens.isEmpty == true else { throw error(stop.line, "{{ else }} without {{ end }}") }
            return .conditional(branches: branches, otherwise: otherwise)
        }
    }

    private mutating func parseRange(_ tokens: [TemplateLexer.Token], line: Int) throws -> TemplateNode {
        var rest = tokens[...]
        var names: [String] = []
        if let index = rest.firstIndex(where: { $0.kind == .declare }) {
            for token in rest[..<index] {
                switch token.kind {
                case .variable(let name) where !name.isEmpty: names.append(name)
                case .comma: continue
                default: throw error(line, "range declares variables as $key, $value :=")
                }
            }
            guard (1...2).contains(names.count) else { throw error(line, "range declares one or two variables") }
            rest = rest[(index + 1)...]
        }
        let over = try pipeline(Array(rest), line: line)
        let (body, stop) = try parseList()
        guard let stop, stop.tokens.isEmpty else { throw error(line, "{{ range }} without {{ end }}") }
        var otherwise: [TemplateNode] = []
        if stop.keyword == "else" {
            let (elseBody, end) = try parseList()
            guard end?.keyword == "end" else { throw error(line, "{{ range }} without {{ end }}") }
            otherwise = elseBody
        }
        let key = names.count == 2 ? names[0] : nil
        return .range(key: key, value: names.last, over: over, body: body, otherwise: otherwise)
    }

    /// `a b c | d e | f`, with parentheses.
    private func pipeline(_ tokens: [TemplateLexer.Token], line: Int) throws -> TemplatePipeline {
        var index = 0
        let result = try pipeline(tokens, &index, line: line)
        guard index == tokens.count else { throw error(line, "unexpected \(describe(tokens[index])) in an action") }
        return result
    }

    private func pipeline(_ tokens: [TemplateLexer.Token], _ index: inout Int, line: Int, nesting: Int = 0) throws -> TemplatePipeline {
        guard nesting <= Self.maximumDepth else { throw error(line, "parentheses nested deeper than \(Self.maximumDepth) levels") }
        if tokens.contains(where: { $0.kind == .declare || $0.kind == .assign }) {
            throw error(line, "variables ($x := …) are supported only in range")
        }
        var commands: [[TemplateOperand]] = [[]]
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .pipe:
                guard !commands[commands.count - 1].isEmpty else { throw error(line, "empty command before |") }
                commands.append([])
            case .rightParen:
                index -= 1
                return try finish(commands, line: line)
            case .leftParen:
                let inner = try pipeline(tokens, &index, line: line, nesting: nesting + 1)
                guard index < tokens.count, tokens[index].kind == .rightParen else { throw error(line, "unclosed (") }
                index += 1
                commands[commands.count - 1].append(chain(.parenthesized(inner), tokens, &index))
            case .dot: commands[commands.count - 1].append(.field(variable: nil, path: []))
            case .field(let name): commands[commands.count - 1].append(chain(.field(variable: nil, path: [name]), tokens, &index))
            case .variable(let name): commands[commands.count - 1].append(chain(.field(variable: name, path: []), tokens, &index))
            case .identifier(let word):
                switch word {
                case "true", "false": commands[commands.count - 1].append(.literal(.bool(word == "true")))
                case "nil": commands[commands.count - 1].append(.literal(.null))
                default: commands[commands.count - 1].append(.function(word))
                }
            case .string(let text): commands[commands.count - 1].append(.literal(.string(text)))
            case .number(let text): commands[commands.count - 1].append(.literal(.number(text)))
            case .comma, .declare, .assign: throw error(line, "unexpected \(describe(token)) in an action")
            }
        }
        return try finish(commands, line: line)
    }

    private func chain(_ base: TemplateOperand, _ tokens: [TemplateLexer.Token], _ index: inout Int) -> TemplateOperand {
        guard case .field(let variable, var path) = base else { return base }
        while index < tokens.count, case .field(let next) = tokens[index].kind {
            path.append(next)
            index += 1
        }
        return .field(variable: variable, path: path)
    }

    private func finish(_ commands: [[TemplateOperand]], line: Int) throws -> TemplatePipeline {
        guard !commands.contains(where: \.isEmpty) else { throw error(line, "empty command in an action") }
        return TemplatePipeline(commands: commands, line: line)
    }

    private func error(_ line: Int, _ message: String) -> HelmfileImportError { HelmfileImportError(file: file, line: line, message) }

    private func describe(_ token: TemplateLexer.Token) -> String {
        switch token.kind {
        case .field(let name): return ".\(name)"
        case .dot: return "."
        case .variable(let name): return "$\(name)"
        case .identifier(let word): return word
        case .string(let text): return "\"\(text)\""
        case .number(let text): return text
        case .pipe: return "|"
        case .leftParen: return "("
        case .rightParen: return ")"
        case .declare: return ":="
        case .assign: return "="
        case .comma: return ","
        }
    }
}
