import Foundation
import System

/// `deploy-state.json`: per component what the last deploy left, and where a failed run stopped
/// (digests and names, never a value).
public struct DeployState: Codable, Sendable {
    public struct Component: Codable, Sendable {
        /// How the last deploy of a component ended (its raw value is what the file and `status` show).
        public enum Status: String, Codable, Sendable { case deployed, failed }
        public var status: Status
        /// SHA-256 of what was asked of Helm: the command, the chart and the rendered values.
        public var inputs: String
        public var time: String
    }

    public var components: [String: Component] = [:]
    /// The component a failed deploy stopped at; nil once a deploy finished.
    public var stoppedAt: String?

    static func path(_ stateDirectory: String) -> String { stateDirectory + "/deploy-state.json" }

    public static func load(_ stateDirectory: String) throws -> DeployState {
        guard let data = try StateFiles.read(path(stateDirectory)).map({ Data($0) }) else { return DeployState() }
        do { return try JSONDecoder().decode(DeployState.self, from: data) } catch {
            throw InstallError.io("\(path(stateDirectory)) is damaged (\(error)); remove it to deploy every component again")
        }
    }

    /// Written on `BlockingWork`'s threads: the write `fsync`s, which must not hold a thread of the cooperative pool.
    func save(_ stateDirectory: String) async throws {
        let state = self
        try await BlockingWork.run { try StateFiles.writeJSON(state, to: Self.path(stateDirectory)) }
    }
}
