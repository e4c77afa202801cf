/// The parsed form of a Go template (the subset helmfiles use; see `TemplateParser`).
indirect enum TemplateNode {
    case text(String)
    case action(TemplatePipeline)
    /// `if` / `else if` … / `else` / `end`: the first branch whose condition is true.
    case conditional(branches: [(condition: TemplatePipeline, body: [TemplateNode])], otherwise: [TemplateNode])
    /// `range [$k, $v :=] PIPELINE` … [`else` …] `end`.
    case range(key: String?, value: String?, over: TemplatePipeline, body: [TemplateNode], otherwise: [TemplateNode])
}

/// `command | command | …`: each result is the last argument of the next command.
struct TemplatePipeline {
    var commands: [[TemplateOperand]]
    var line: Int
}

/// One argument (or the function) of a command.
indirect enum TemplateOperand {
    /// `.a.b` (from dot) or `$v.a.b` / `$.a.b` (from a variable; `$` is the root).
    case field(variable: String?, path: [String])
    case function(String)
    case literal(TemplateValue)
    case parenthesized(TemplatePipeline)

    /// How it is written, for messages.
    var written: String {
        switch self {
        case .field(let variable, let path): return (variable.map { "$" + $0 } ?? "") + (path.isEmpty ? "." : path.map { "." + $0 }.joined())
        case .function(let name): return name
        case .literal(let value): return value.printed
        case .parenthesized: return "( … )"
        }
    }
}
