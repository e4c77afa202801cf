import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Words for a failed connection, and whether trying again may help — decided by the error's
/// type (SwiftNIO, NIOSSL, AsyncHTTPClient), never by its text.
enum ConnectionFailure {
    static let refused = "connection refused (is the registry running on that host and port?)"
    static let tlsAdvice = "(a private CA needs --ca-file; plain HTTP needs --insecure-registry)"

    static func describe(_ error: Error) -> (message: String, temporary: Bool) {
        switch error {
        case let error as RequestDeadlineExceeded:
            return ("the request did not finish within its time limit of \(Int(error.seconds.rounded(.up))) s (--timeout, and more for a blob)", true)
        case let error as IOError: return describe(errno: error.errnoCode)
        case let error as NIOConnectionError:
            return describe(
                host: error.host, dnsErrors: [error.dnsAError, error.dnsAAAAError].compactMap { $0 },
                attempts: error.connectionErrors.map(\.error))
        case let error as SocketAddressError.UnknownHost: return unknownHost(error.host, error.errorDescription)
        case let error as SocketAddressError: return describe(error)
        case let error as ChannelError: return describe(error)
        case let error as HTTPClientError: return describe(error)
        case let error as NIOSSLError: return describe(error)
        case let error as BoringSSLError: return tls("\(error)")
        case let error as NIOSSLExtraError: return tls("the registry's certificate was not accepted: \(error)")
        case is NIOSSLCloseTimedOutError: return ("the registry did not close the TLS connection in time", true)
        default: return ("the connection failed: \(error)", true)
        }
    }

    /// A connection attempt that failed (SwiftNIO's happy-eyeballs connect): name resolution found
    /// nothing, or every address failed. The attempts' own errors decide.
    static func describe(host: String, dnsErrors: [Error], attempts: [Error]) -> (message: String, temporary: Bool) {
        guard !attempts.isEmpty else {
            let reason = dnsErrors.lazy.compactMap { ($0 as? SocketAddressError.UnknownHost)?.errorDescription }.first
            return unknownHost(host, reason)
        }
        let described = attempts.map(describe)
        var messages: [String] = []
        for (message, _) in described where !messages.contains(message) { messages.append(message) }
        return (messages.joined(separator: "; "), described.contains { $0.temporary })
    }

    static func describe(errno code: CInt) -> (message: String, temporary: Bool) {
        switch code {
        case ECONNREFUSED: return (refused, false)
        case ECONNRESET, EPIPE, ECONNABORTED: return ("the connection was reset", true)
        case ETIMEDOUT: return ("the connection timed out", true)
        case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN: return ("the network is unreachable", false)
        default: return ("the connection failed: \(String(cString: strerror(code))) (errno \(code))", true)
        }
    }

    static func describe(_ error: SocketAddressError) -> (message: String, temporary: Bool) {
        switch error {
        case .failedToParseIPString(let text): return ("\"\(text)\" is not a valid IP address", false)
        case .unsupported: return ("the host's address is of an unsupported kind", false)
        case .unixDomainSocketPathTooLong: return ("the socket path is too long", false)
        default: return unknownHost(nil, nil)
        }
    }

    static func describe(_ error: ChannelError) -> (message: String, temporary: Bool) {
        switch error {
        case .connectTimeout: return ("the connection timed out", true)
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: return ("the registry closed the connection early", true)
        case .writeHostUnreachable: return ("the network is unreachable", false)
        default: return ("the connection failed: \(error)", true)
        }
    }

    static func describe(_ error: HTTPClientError) -> (message: String, temporary: Bool) {
        switch error {
        case .remoteConnectionClosed, .uncleanShutdown: return ("the registry closed the connection early", true)
        case .readTimeout: return ("no data arrived within the read timeout", true)
        case .writeTimeout: return ("the request could not be sent within the timeout", true)
        case .connectTimeout: return ("the connection timed out", true)
        case .tlsHandshakeTimeout: return ("the TLS handshake timed out", true)
        case .cancelled: return ("the request was cancelled", false)
        case .invalidURL, .emptyHost, .emptyScheme: return ("the URL is not valid (\(error))", false)
        default: return ("\(error)", true)
        }
    }

    static func describe(_ error: NIOSSLError) -> (message: String, temporary: Bool) {
        switch error {
        case .handshakeFailed(let reason): return tls("the TLS handshake failed: \(reason)")
        case .uncleanShutdown: return ("the registry closed the TLS connection early", true)
        case .failedToLoadCertificate, .noSuchFilesystemObject: return ("TLS failed: the CA file cannot be loaded (\(error))", false)
        default: return tls("\(error)")
        }
    }

    private static func tls(_ detail: String) -> (message: String, temporary: Bool) {
        ("TLS failed: \(detail) \(tlsAdvice)", false)
    }

    private static func unknownHost(_ host: String?, _ reason: String?) -> (message: String, temporary: Bool) {
        let name = host.map { "the host name \($0)" } ?? "the host name"
        return ("cannot resolve \(name) (unknown host\(reason.map { ": \($0)" } ?? ""))", false)
    }
}
