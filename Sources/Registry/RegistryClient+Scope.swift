extension RegistryClient {
    /// Creates a client, runs `body` with it, and shuts the client down afterwards whatever
    /// happened (a return, a throw, a cancellation): the one way the executables hold a client.
    /// A failure to create it is a `RegistryClientSetupError`; `body`'s own error is thrown as it
    /// is. A failure to shut down after `body` succeeded changes no result (every transfer has
    /// ended; only connections are being closed), so it goes to `shutdownFailed` (the executables
    /// print it as a warning) rather than failing the command; after `body` failed, it is a
    /// consequence of that failure (requests cut off) and the failure itself is what is reported.
    public static func withClient<Result>(
        configuration: RegistryConfiguration = RegistryConfiguration(), credentials: CredentialStore = CredentialStore(),
        isolation: isolated (any Actor)? = #isolation, shutdownFailed: (String) -> Void, _ body: (RegistryClient) async throws -> Result
    ) async throws -> Result {
        let client = try RegistryClient(configuration: configuration, credentials: credentials)
        let result: Swift.Result<Result, any Error>
        do { result = .success(try await body(client)) } catch { result = .failure(error) }
        do { try await client.shutdown() } catch {
            if case .success = result { shutdownFailed("closing the registry client's connections failed: \(error)") }
        }
        return try result.get()
    }
}
