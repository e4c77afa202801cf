import ArgumentParser
import BundleCommands
import Foundation
import Install
import Rendering
import Terminal

/// Step 2 of `setup`: each site value the file does not hold yet, asked, checked and saved in turn.
struct SetupValuesStep {
    let command: SetupCommand
    let session: TerminalSession
    let source: DeploySource

    func run() throws -> SiteValues {
        let bundle = "\(source.index.name) \(source.index.version)"
        let components = source.components.map { ($0.name, $0.optional) }
        var file: SetupValuesFile
        do { file = try SetupValuesFile.read(command.values, declarations: source.declarations) } catch { throw CommandFailure.from(error) }
        if !command.yes, !file.unknown.isEmpty {
            throw CommandFailure(
                """
                \(command.values) holds what is not a site value of this bundle: \(file.unknown.joined(separator: ", ")).
                setup writes the file again after every answer and would lose them: remove them (or use another --values file), then run setup again
                """, .failed)
        }
        let needed = source.needed(disabled: file.disabled)
        // A value the file holds but that is not valid (edited by hand) is asked again, with the reason.
        let invalid = Set(source.declarations.filter { file.given[$0.name].flatMap($0.problem(with:)) != nil }.map(\.name))
        let asking = source.declarations.filter { needed.contains($0.name) && (file.given[$0.name] == nil || invalid.contains($0.name)) }
        if !command.yes {
            if !FileManager.default.fileExists(atPath: command.values) {
                do { try file.write(bundle: bundle, declarations: source.declarations, components: components) } catch {
                    throw CommandFailure.from(error)
                }
            }
            let held = source.declarations.count - file.unanswered(source.declarations).count - invalid.count
            say("\(source.declarations.count) site values; \(held) already in \(command.values), \(asking.count) to ask")
            for (number, declaration) in asking.enumerated() {
                if invalid.contains(declaration.name), let problem = file.given[declaration.name].flatMap(declaration.problem(with:)) {
                    say(session.styled("\n  \(declaration.name) in \(command.values) must be \(problem): asked again", .yellow))
                }
                let text = try ask(declaration, number: number + 1, of: asking.count)
                do { try file.answer(declaration.name, text, bundle: bundle, declarations: source.declarations, components: components) } catch {
                    throw CommandFailure.from(error)
                }
                say(session.styled("  saved in \(command.values)", .dim))
            }
        }
        do { return try source.siteValues(command.values) } catch {
            throw CommandFailure(
                "\(CommandFailure.from(error).message)\nfix \(command.values) (or remove the lines named), then run setup again",
                .failed)
        }
    }

    /// Asks until the answer is valid (a secret: twice, the same).
    func ask(_ declaration: SiteValueDeclaration, number: Int, of total: Int) throws -> String {
        say("")
        say(session.styled("  \(declaration.name)", .cyan) + "  (\(number) of \(total))")
        say("  " + TerminalText.escaped(declaration.description, keepNewlines: false))
        var facts = "\(declaration.type.rawValue): \(declaration.expectation)"
        facts += declaration.required ? "; required" : "; optional"
        if let value = declaration.defaultValue { facts += "; default \(value) (Enter keeps it)" }
        if declaration.secret { facts += "; secret: not shown, typed twice" }
        say("  " + TerminalText.escaped(facts, keepNewlines: false))
        while true {
            guard let typed = read(declaration, "  value: ") else { throw endOfInput(declaration) }
            var text = declaration.secret ? typed : typed.trimmingCharacters(in: .whitespaces)
            if text.isEmpty, let value = declaration.defaultValue { text = value }
            if let problem = declaration.problem(with: text) {
                say(session.styled("  ✗ \(declaration.name) must be \(problem); try again", .red))
                continue
            }
            if declaration.secret {
                guard let again = read(declaration, "  again: ") else { throw endOfInput(declaration) }
                guard again == text else {
                    say(session.styled("  ✗ the two entries differ; try again", .red))
                    continue
                }
            }
            return text
        }
    }

    func read(_ declaration: SiteValueDeclaration, _ prompt: String) -> String? {
        declaration.secret ? LinePrompt.secret(prompt, session: session) : LinePrompt.line(prompt, session: session)
    }

    func endOfInput(_ declaration: SiteValueDeclaration) -> CommandFailure {
        CommandFailure(
            "end of input at \(declaration.name): the answers so far are saved in \(command.values); to continue run\n  \(command.resumeCommand)",
            .failed)
    }

    func say(_ text: String) { session.write(text + "\n") }
}
