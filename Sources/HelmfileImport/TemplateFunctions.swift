import Foundation
import Rendering

/// The functions helmfiles use, with Sprig's and helmfile's semantics: `default`, `quote`,
/// `squote`, `required`, `toYaml`, `indent`, `nindent`, `trim`, `lower`, `upper`, `printf`, and
/// Go's `eq`, `ne`, `not`, `and`, `or`. Any other name is an error naming the file, line and
/// function. A site value may only be printed, quoted or defaulted: it is given at the site.
struct TemplateFunctions {
    let file: String
    let line: Int

    static let names: Set<String> = [
        "default", "quote", "squote", "required", "toYaml", "indent", "nindent", "trim", "lower", "upper", "printf", "eq", "ne", "not",
        "and", "or",
    ]

    func call(_ name: String, _ arguments: [TemplateValue], lenient: Bool) throws -> TemplateValue {
        guard Self.names.contains(name) else {
            throw error("function \"\(name)\" is not supported by import-helmfile (supported: \(Self.names.sorted().joined(separator: ", ")))")
        }
        switch name {
        case "default":
            try count(name, arguments, 2)
            if case .siteValue(var use) = arguments[1] {
                // Kept for the site: our values template takes `| default` with a string, an integer or a boolean.
                guard use.defaultLiteral == nil, !use.quoted else { return arguments[1] }
                switch arguments[0] {
                case .string(let text): use.defaultLiteral = ValuesTemplate.goQuoted(text)
                case .bool(let flag): use.defaultLiteral = flag ? "true" : "false"
                case .number(let digits) where Int(digits) != nil: use.defaultLiteral = digits
                default: throw error("default of site value \(use.name) must be a string, an integer or a boolean, not a \(arguments[0].kind)")
                }
                return .siteValue(use)
            }
            return arguments[1].isEmpty ? arguments[0] : arguments[1]
        case "quote":
            if arguments.count == 1, case .siteValue(var use) = arguments[0] {
                use.quoted = true
                return .siteValue(use)
            }
            return .string(try arguments.filter { $0 != .null }.map { ValuesTemplate.goQuoted(try text(of: $0, in: name)) }.joined(separator: " "))
        case "squote":
            return .string(try arguments.filter { $0 != .null }.map { "'" + (try text(of: $0, in: name)) + "'" }.joined(separator: " "))
        case "required":
            try count(name, arguments, 2)
            let message = try string(arguments[0], in: name)
            if lenient { return arguments[1] }
            switch arguments[1] {
            case .null: throw error("required: \(message)")
            case .string(let text) where text.isEmpty: throw error("required: \(message)")
            default: return arguments[1]
            }
        case "toYaml":
            try count(name, arguments, 1)
            return .string(YAMLWriter.document(arguments[0]))
        case "indent", "nindent":
            try count(name, arguments, 2)
            guard case .number(let digits) = arguments[0], let width = Int(digits), (0...1024).contains(width) else {
                throw error("\(name) takes a width (a small number) first")
            }
            let pad = String(repeating: " ", count: width)
            let text = try string(arguments[1], in: name)
            let lines = text.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            guard lines.multipliedReportingOverflow(by: width).partialValue + text.utf8.count <= TemplateEvaluator.maximumOutput else {
                throw error("\(name) \(width) would make more than \(TemplateEvaluator.maximumOutput) bytes")
            }
            let indented = pad + text.replacingOccurrences(of: "\n", with: "\n" + pad)
            return .string(name == "nindent" ? "\n" + indented : indented)
        case "trim":
            try count(name, arguments, 1)
            return .string(try string(arguments[0], in: name).trimmingCharacters(in: .whitespacesAndNewlines))
        case "lower", "upper":
            try count(name, arguments, 1)
            let text = try string(arguments[0], in: name)
            return .string(name == "lower" ? text.lowercased() : text.uppercased())
        case "printf":
            guard let format = arguments.first else { throw error("printf needs a format") }
            return .string(try printf(try string(format, in: name), Array(arguments.dropFirst())))
        case "eq", "ne":
            guard arguments.count >= 2 else { throw error("\(name) needs two arguments") }
            for argument in arguments { try refuseSiteValue(argument, in: name) }
            let equal = arguments.dropFirst().contains(arguments[0])
            return .bool(name == "eq" ? equal : !equal)
        case "not":
            try count(name, arguments, 1)
            try refuseSiteValue(arguments[0], in: name)
            return .bool(!arguments[0].isTrue)
        default:  // and, or: the first argument that decides, as Go returns it
            guard !arguments.isEmpty else { throw error("\(name) needs arguments") }
            for argument in arguments {
                try refuseSiteValue(argument, in: name)
                if argument.isTrue == (name == "or") { return argument }
            }
            return arguments[arguments.count - 1]
        }
    }

    /// `%s`, `%v`, `%d`, `%q`, `%t` and `%%`; anything else is an error.
    private func printf(_ format: String, _ arguments: [TemplateValue]) throws -> String {
        var output = ""
        var remaining = arguments[...]
        var characters = format.makeIterator()
        while let character = characters.next() {
            guard character == "%" else {
                output.append(character)
                continue
            }
            guard let verb = characters.next() else { throw error("printf format ends in %") }
            if verb == "%" {
                output += "%"
                continue
            }
            guard let argument = remaining.popFirst() else { throw error("printf: %\(verb) has no argument") }
            try refuseSiteValue(argument, in: "printf")
            switch verb {
            case "s", "v":
                if case .null = argument {
                    output += verb == "v" ? "<nil>" : "%!s(<nil>)"  // fmt's words for a nil argument
                } else {
                    output += argument.printed
                }
            case "q": output += ValuesTemplate.goQuoted(try text(of: argument, in: "printf"))
            case "d":
                guard case .number(let digits) = argument, Int(digits) != nil else { throw error("printf: %d of a \(argument.kind)") }
                output += digits
            case "t":
                guard case .bool(let flag) = argument else { throw error("printf: %t of a \(argument.kind)") }
                output += flag ? "true" : "false"
            default: throw error("printf verb %\(verb) is not supported (only %s, %v, %d, %q, %t, %%)")
            }
        }
        if !remaining.isEmpty { throw error("printf: \(remaining.count) argument(s) more than the format uses") }
        return output
    }

    private func count(_ name: String, _ arguments: [TemplateValue], _ expected: Int) throws {
        guard arguments.count == expected else { throw error("\(name) takes \(expected) argument(s), got \(arguments.count)") }
    }

    /// A string argument (Sprig's string parameters): numbers, maps and site values are refused as Go refuses them.
    private func string(_ value: TemplateValue, in function: String) throws -> String {
        try refuseSiteValue(value, in: function)
        guard case .string(let text) = value else { throw error("\(function) expects a string, got a \(value.kind)") }
        return text
    }

    /// Sprig's `strval`: any value as text.
    private func text(of value: TemplateValue, in function: String) throws -> String {
        try refuseSiteValue(value, in: function)
        return value.printed
    }

    private func refuseSiteValue(_ value: TemplateValue, in function: String) throws {
        if case .siteValue(let use) = value {
            throw error("site value \(use.name) is given at the site: it can be printed, quoted or defaulted here, not passed to \(function)")
        }
    }

    private func error(_ message: String) -> HelmfileImportError { HelmfileImportError(file: file, line: line, message) }
}
