import AsyncHTTPClient
#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Words for a failed connection, and whether trying again may help.
enum ConnectionFailure {
    static func describe(_ error: Error) -> (message: String, temporary: Bool) {
        let text = String(describing: error)
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case ECONNREFUSED: return ("connection refused (is the registry running on that host and port?)", false)
            case ECONNRESET, EPIPE: return ("the connection was reset", true)
            case ETIMEDOUT: return ("the connection timed out", true)
            case ENETUNREACH, EHOSTUNREACH: return ("the network is unreachable", false)
            default: return (text, true)
            }
        }
        if let httpError = error as? HTTPClientError {
            switch httpError {
            case .remoteConnectionClosed: return ("the registry closed the connection early", true)
            case .readTimeout: return ("no data arrived within the read timeout", true)
            case .connectTimeout: return ("the connection timed out", true)
            case .cancelled: return ("the request was cancelled", false)
            default: return ("\(httpError)", true)
            }
        }
        if text.contains("NIOConnectionError") || text.contains("SocketAddressError") || text.contains("dns") {
            if text.contains("connectionErrors: []") || text.contains("SocketAddressError") {
                return ("cannot resolve the host name (unknown host)", false)
            }
            if text.contains("Connection refused") || text.contains("errno: 111") {
                return ("connection refused (is the registry running on that host and port?)", false)
            }
        }
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return ("connection refused (is the registry running on that host and port?)", false)
        }
        if text.contains("NIOSSL") || text.contains("handshakeFailed") || text.contains("CERTIFICATE") {
            return ("TLS failed: \(text) (a private CA needs --ca-file; plain HTTP needs --insecure-registry)", false)
        }
        if text.contains("reset") || text.contains("closed") { return ("the connection failed: \(text)", true) }
        return ("the connection failed: \(text)", true)
    }
}
