import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

@testable import Registry

#if canImport(Glibc)
    import Glibc
#endif

/// Network failures are classified by their error types: the words people read, and whether a
/// retry may help (which drives `send`'s retries and `fetchBlob`'s Range resumes).
@Suite("Connection failures classified by error type")
struct ConnectionFailureTests {
    func classify(_ error: Error) -> (message: String, temporary: Bool) { ConnectionFailure.describe(error) }

    @Test func socketErrorsByErrno() {
        let refused = classify(IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        #expect(refused.message.contains("connection refused") && !refused.temporary)
        let reset = classify(IOError(errnoCode: ECONNRESET, reason: "read"))
        #expect(reset.message == "the connection was reset" && reset.temporary)
        #expect(classify(IOError(errnoCode: EPIPE, reason: "write")).temporary)
        let timedOut = classify(IOError(errnoCode: ETIMEDOUT, reason: "connect"))
        #expect(timedOut.message == "the connection timed out" && timedOut.temporary)
        let unreachable = classify(IOError(errnoCode: EHOSTUNREACH, reason: "connect"))
        #expect(unreachable.message == "the network is unreachable" && !unreachable.temporary)
        let other = classify(IOError(errnoCode: ENOBUFS, reason: "write"))
        #expect(other.message.contains("errno \(ENOBUFS)") && other.temporary, "\(other)")
    }

    /// A real refused connection through SwiftNIO's happy-eyeballs connector, which is what
    /// AsyncHTTPClient hands us: an `NIOConnectionError` holding one failed attempt per address.
    @Test func aRealRefusedConnection() async throws {
        let port = try Loopback.freePort()
        var caught: Error?
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
            try await channel.close()
        } catch { caught = error }
        let error = try #require(caught)
        #expect(error is NIOConnectionError, "\(type(of: error)): \(error)")
        let described = classify(error)
        #expect(described.message == ConnectionFailure.refused, "\(described.message)")
        #expect(!described.temporary)
    }

    @Test func connectionAttemptsAndNameResolution() {
        // No address at all: name resolution failed, whatever the resolver's error type.
        let unknown = ConnectionFailure.describe(host: "registry.invalid", dnsErrors: [SocketAddressError.unsupported], attempts: [])
        #expect(unknown.message.hasPrefix("cannot resolve the host name registry.invalid") && !unknown.temporary, "\(unknown.message)")
        // Every address refused: not temporary, one message.
        let refused = ConnectionFailure.describe(
            host: "localhost", dnsErrors: [],
            attempts: [IOError(errnoCode: ECONNREFUSED, reason: "connect"), IOError(errnoCode: ECONNREFUSED, reason: "connect")])
        #expect(refused.message == ConnectionFailure.refused && !refused.temporary)
        // One address refused, one timed out: both named, and a retry may help.
        let mixed = ConnectionFailure.describe(
            host: "localhost", dnsErrors: [],
            attempts: [IOError(errnoCode: ECONNREFUSED, reason: "connect"), ChannelError.connectTimeout(.seconds(1))])
        #expect(mixed.message.contains("connection refused") && mixed.message.contains("timed out") && mixed.temporary, "\(mixed.message)")
    }

    @Test func socketAddressAndChannelErrors() {
        let badIP = classify(SocketAddressError.failedToParseIPString("999.1.1.1"))
        #expect(badIP.message.contains("999.1.1.1") && !badIP.temporary)
        #expect(!classify(SocketAddressError.unsupported).temporary)
        let eof = classify(ChannelError.eof)
        #expect(eof.message == "the registry closed the connection early" && eof.temporary)
        #expect(classify(ChannelError.ioOnClosedChannel).temporary)
        #expect(classify(ChannelError.connectTimeout(.seconds(3))) == ("the connection timed out", true))
        #expect(!classify(ChannelError.writeHostUnreachable).temporary)
    }

    @Test func asyncHTTPClientErrors() {
        #expect(classify(HTTPClientError.remoteConnectionClosed) == ("the registry closed the connection early", true))
        #expect(classify(HTTPClientError.readTimeout) == ("no data arrived within the read timeout", true))
        #expect(classify(HTTPClientError.connectTimeout) == ("the connection timed out", true))
        #expect(classify(HTTPClientError.tlsHandshakeTimeout) == ("the TLS handshake timed out", true))
        #expect(classify(HTTPClientError.cancelled) == ("the request was cancelled", false))
        let invalid = classify(HTTPClientError.invalidURL)
        #expect(invalid.message.hasPrefix("the URL is not valid") && !invalid.temporary)
        // Anything else AsyncHTTPClient reports is kept in its own words and may be retried.
        #expect(classify(HTTPClientError.bodyLengthMismatch).temporary)
    }

    @Test func tlsFailuresAreNotTemporaryAndPointAtTheFlags() {
        for error: Error in [
            NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])), BoringSSLError.unknownError([]),
            NIOSSLExtraError.failedToValidateHostname, NIOSSLError.unableToValidateCertificate,
        ] {
            let described = classify(error)
            #expect(described.message.hasPrefix("TLS failed:"), "\(described.message)")
            #expect(described.message.contains("--ca-file") && described.message.contains("--insecure-registry"))
            #expect(!described.temporary)
        }
        #expect(classify(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake]))).message.contains("EOF during handshake"))
        // A TLS stream cut without close_notify is a broken connection, like a reset.
        #expect(classify(NIOSSLError.uncleanShutdown) == ("the registry closed the TLS connection early", true))
    }

    @Test func unknownErrorsAreNamedAndMayBeRetried() {
        struct Surprise: Error {}
        let described = classify(Surprise())
        #expect(described.message.hasPrefix("the connection failed: ") && described.message.contains("Surprise"))
        #expect(described.temporary)
    }
}
