import Bundle
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Transfer

/// The read-only registry over one opened bundle: an NIO HTTP/1.1 server (HTTPS given a
/// certificate) whose event loops never block; archive reads run on a small thread pool, through
/// `CheckedFrames` (every byte checked against `bundle.json` before it is sent).
public final class BundleHTTPServer: Sendable {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// PEM certificate chain and private key files, for HTTPS.
        public var tlsCertificate: String?
        public var tlsKey: String?
        /// Threads reading pieces off the event loops (a thread may wait for a frame another is
        /// decompressing, so there are more of them than decompression slots).
        public var readers: Int
        /// Frames that are not raw decompressed at once (each slot holds one compressed frame, up
        /// to 4 MiB, and keeps one decompressed frame).
        public var decodeSlots: Int
        /// Bytes of checked chunks of hot entries kept (`FrameCache`).
        public var cacheBytes: Int

        /// The defaults keep serve well under 150 MB with 50 downloads at once: 32 MiB of cache,
        /// 2 × 256 KiB per connection, 2 × (4 MiB of compressed input + a decompressed frame).
        public init(
            host: String, port: Int, tlsCertificate: String? = nil, tlsKey: String? = nil, readers: Int = 8, decodeSlots: Int = 2,
            cacheBytes: Int = 32 << 20
        ) {
            self.host = host
            self.port = port
            self.tlsCertificate = tlsCertificate
            self.tlsKey = tlsKey
            self.readers = readers
            self.decodeSlots = decodeSlots
            self.cacheBytes = cacheBytes
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let channel: Channel
    /// The port it listens on (the one chosen by the system when asked for 0).
    public let port: Int

    private init(group: MultiThreadedEventLoopGroup, pool: NIOThreadPool, channel: Channel) {
        self.group = group
        self.pool = pool
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// Starts listening; every request is written to `log` once answered (or cut off).
    public static func start(
        archive: BundleArchive, repositories: ServedRepositories, configuration: Configuration, log: @escaping @Sendable (AccessRecord) -> Void
    ) async throws(ServeError) -> BundleHTTPServer {
        var tls: NIOSSLContext?
        if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                let server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
                tls = try NIOSSLContext(configuration: server)
            } catch {
                throw .usage("cannot use --tls-cert \(certificate) and --tls-key \(key): \(error)")
            }
        }
        let entries: CheckedFrames
        do {
            entries = try CheckedFrames(archive: archive, decodeSlots: configuration.decodeSlots, cacheBytes: configuration.cacheBytes)
        } catch {
            throw .bundle(error.message)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let pool = NIOThreadPool(numberOfThreads: max(1, configuration.readers))
        pool.start()
        let served = ServedBundle(archive: archive, repositories: repositories, entries: entries, pool: pool, log: log)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RegistryHTTPHandler(served: served))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            return BundleHTTPServer(group: group, pool: pool, channel: channel)
        } catch {
            try? await pool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw .network("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// Stops accepting, closes every connection, and stops the threads.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
        try? await pool.shutdownGracefully()
    }
}
