import Bundle
import Foundation
import NIOCore
import NIOHTTP1
import OCI
import Transfer

/// Answers the read-only OCI distribution API on one connection. Requests are handled one at a
/// time (NIO's pipeline handler holds back pipelined ones); a blob is sent a piece at a time, a
/// piece read on the pool while the one before it is written, and no further, so a slow client
/// holds at most two pieces and never a thread.
final class RegistryHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let served: ServedBundle
    private var head: HTTPRequestHead?
    private var client = "-"

    init(served: ServedBundle) { self.served = served }

    func channelActive(context: ChannelHandlerContext) {
        client = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "-"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break  // a write method's body is dropped as it arrives; the answer is 405
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: - Routing

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, namespace) = RegistryRoute.split(request.uri)
        guard request.method == .GET || request.method == .HEAD else {
            var headers = HTTPHeaders()
            headers.add(name: "Allow", value: "GET, HEAD")
            return error(request, context, .methodNotAllowed, "UNSUPPORTED", "this registry is read-only: \(request.method) is not allowed", headers)
        }
        switch RegistryRoute(path: path) {
        case .base:
            send(request, context, .ok, json: "{}")
        case .catalog:
            send(request, context, .ok, json: Self.encode(["repositories": served.repositories.catalog]))
        case .tags(let name):
            guard let repository = served.repositories.repository(name, namespace: namespace) else {
                return error(request, context, .notFound, "NAME_UNKNOWN", "repository \(name) is not in this bundle")
            }
            send(request, context, .ok, json: Self.encode(TagList(name: name, tags: repository.tags.keys.sorted())))
        case .manifest(let name, let reference):
            guard let repository = served.repositories.repository(name, namespace: namespace) else {
                return error(request, context, .notFound, "NAME_UNKNOWN", "repository \(name) is not in this bundle")
            }
            let digest = (try? Digest(reference)) ?? repository.tags[reference]
            guard let digest, let content = repository.manifests[digest], let location = served.archive.location(ofBlob: digest) else {
                return error(request, context, .notFound, "MANIFEST_UNKNOWN", "manifest \(reference) of \(name) is not in this bundle")
            }
            entry(request, context, content: content, location: location, ranged: false)
        case .blob(let name, let reference):
            guard let repository = served.repositories.repository(name, namespace: namespace) else {
                return error(request, context, .notFound, "NAME_UNKNOWN", "repository \(name) is not in this bundle")
            }
            guard let digest = try? Digest(reference) else {
                return error(request, context, .badRequest, "DIGEST_INVALID", "\(reference) is not a digest")
            }
            guard let content = repository.blobs[digest] ?? repository.manifests[digest], let location = served.archive.location(ofBlob: digest)
            else {
                return error(request, context, .notFound, "BLOB_UNKNOWN", "blob \(digest) of \(name) is not in this bundle")
            }
            entry(request, context, content: content, location: location, ranged: true)
        case .notFound:
            error(request, context, .notFound, "NAME_UNKNOWN", "\(path) is not a route of the distribution API")
        }
    }

    private struct TagList: Encodable {
        var name: String
        var tags: [String]
    }

    private static func encode<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }

    // MARK: - Small answers

    private func error(
        _ request: HTTPRequestHead, _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ code: String, _ message: String,
        _ extra: HTTPHeaders = HTTPHeaders()
    ) {
        let body = Self.encode(["errors": [["code": code, "message": message]]])
        send(request, context, status, json: body, extra: extra, note: code)
    }

    private func send(
        _ request: HTTPRequestHead, _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, json: String,
        extra: HTTPHeaders = HTTPHeaders(), note: String? = nil
    ) {
        var headers = baseHeaders(request)
        headers.add(contentsOf: extra)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(json.utf8.count)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        let sent = request.method == .HEAD ? 0 : json.utf8.count
        if sent > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil) }
        finish(request, context, status: status, bytes: Int64(sent), error: note)
    }

    private func baseHeaders(_ request: HTTPRequestHead) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Docker-Distribution-API-Version", value: "registry/2.0")
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        return headers
    }

    private func finish(_ request: HTTPRequestHead, _ context: ChannelHandlerContext, status: HTTPResponseStatus, bytes: Int64, error: String?) {
        let keepAlive = request.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
        served.log(AccessRecord(method: "\(request.method)", path: request.uri, status: Int(status.code), bytes: bytes, client: client, error: error))
    }

    // MARK: - Manifests and blobs

    private func entry(
        _ request: HTTPRequestHead, _ context: ChannelHandlerContext, content: BundleIndex.Content, location: BundleArchive.Location, ranged: Bool
    ) {
        let size = location.entry.size
        var headers = baseHeaders(request)
        headers.add(name: "Docker-Content-Digest", value: content.digest.description)
        headers.add(name: "Content-Type", value: ranged ? "application/octet-stream" : content.mediaType)
        headers.add(name: "Accept-Ranges", value: ranged ? "bytes" : "none")
        var range: Range<Int64> = 0..<size
        var status = HTTPResponseStatus.ok
        if ranged, request.method == .GET, let asked = RegistryRoute.byteRange(request.headers.first(name: "Range"), size: size) {
            switch asked {
            case .success(let wanted):
                range = wanted
                status = .partialContent
                headers.add(name: "Content-Range", value: "bytes \(wanted.lowerBound)-\(wanted.upperBound - 1)/\(size)")
            case .failure:
                var extra = HTTPHeaders()
                extra.add(name: "Content-Range", value: "bytes */\(size)")
                return error(request, context, .rangeNotSatisfiable, "RANGE_INVALID", "the range is outside the blob's \(size) bytes", extra)
            }
        }
        headers.add(name: "Content-Length", value: "\(range.count)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        guard request.method == .GET, !range.isEmpty else { return finish(request, context, status: status, bytes: 0, error: nil) }
        let stream = EntryStream(request: request, status: status, read: served.entries.startRead(location, range: range), sent: 0)
        sendPiece(stream, context: context)
    }

    private struct EntryStream {
        var request: HTTPRequestHead
        var status: HTTPResponseStatus
        var read: EntryRead
        var sent: Int64
    }

    /// Writes the next piece (at most one 256 KiB chunk), read on the pool; while it is being
    /// written the one after it is read (`pending`), so a connection holds at most two pieces and
    /// the socket does not wait for the pool. A piece that fails to read is never written.
    private func sendPiece(_ stream: EntryStream, pending: EventLoopFuture<ByteBuffer>? = nil, context: ChannelHandlerContext) {
        guard let piece = pending ?? readPiece(stream.read, context) else {
            return finish(stream.request, context, status: stream.status, bytes: stream.sent, error: nil)
        }
        piece.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let buffer):
                // No read is under way now: the next one may start, overlapping this write.
                let following = self.readPiece(stream.read, context)
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenComplete { written in
                    var next = stream
                    next.sent += Int64(buffer.readableBytes)
                    switch written {
                    case .success:
                        guard let following else {
                            return self.finish(next.request, context, status: next.status, bytes: next.sent, error: nil)
                        }
                        self.sendPiece(next, pending: following, context: context)
                    case .failure(let failure): self.cutOff(next, context, because: "client went away: \(failure)")
                    }
                }
            case .failure(let failure):
                self.cutOff(stream, context, because: "\(failure)")
            }
        }
    }

    /// Reads the next piece of `read`: here on the event loop when it is at hand without waiting
    /// (a cached chunk, or one in the page cache: two thread switches fewer), on the pool
    /// otherwise; nil when it is done. Call only while no other read of it is under way.
    private func readPiece(_ read: EntryRead, _ context: ChannelHandlerContext) -> EventLoopFuture<ByteBuffer>? {
        guard !read.isDone else { return nil }
        let entries = served.entries
        do {
            if let ready = try entries.nextPieceIfReady(read, maximum: ServedBundle.largestPiece) {
                // Completed on the loop's next turn, not now: a future completed already would
                // run `sendPiece` again from inside this one, a stack frame deeper each piece.
                return context.eventLoop.submit { ready }
            }
        } catch {
            return context.eventLoop.makeFailedFuture(error)
        }
        return served.pool.runIfActive(eventLoop: context.eventLoop) {
            try entries.nextPiece(read, maximum: ServedBundle.largestPiece)
        }
    }

    /// Closes the connection mid-body: the client sees fewer bytes than Content-Length said and
    /// never takes what it got as good.
    private func cutOff(_ stream: EntryStream, _ context: ChannelHandlerContext, because reason: String) {
        context.close(promise: nil)
        served.log(
            AccessRecord(
                method: "\(stream.request.method)", path: stream.request.uri, status: Int(stream.status.code), bytes: stream.sent, client: client,
                error: "cut off: \(reason)"))
    }
}
