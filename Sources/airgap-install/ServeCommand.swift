import ArgumentParser
import Bundle
import BundleCommands
import BundleServer
import Foundation
import Install
import Integrity
import OCI
import Synchronization
import System
import Terminal

/// `airgap-install serve`: a read-only registry straight from the signed archive, for a site with no registry yet.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Verify a bundle, then serve its images as a read-only registry straight from the archive.",
        discussion: """
            The whole archive is verified first (exit 1, nothing listening, if any byte is wrong). \
            Then every image of the bundle is answered through the OCI distribution API (GET/HEAD \
            of manifests, blobs and tags; every write method gets 405) until SIGTERM or SIGINT \
            (exit 0). Nothing is unpacked: bytes are read from the compressed archive by random \
            access (bundle format 2) and checked against their digest as they are read, so a file \
            changed after the start is cut off, never served as good.
            Names: the original path, told apart by containerd's ?ns=<registry> (docker.io/x/y and \
            quay.io/x/y never mix); without ns, REGISTRY/x/y (a port as -: localhost-5000/x) or \
            x/y when only one registry has it; with --registry and --project also the path push \
            gives it (PROJECT/x/y, as in relocation.json), so images named for the site registry \
            resolve before that registry exists. See `airgap-install node-config` for the nodes.
            With --registry and --project, serve first writes what deploy needs into the state \
            directory (--state-dir, default as push: bundle.json, charts, values, relocation.json \
            for that registry and project), so components deploy before anything is pushed; a \
            push holding that directory writes them instead.
            One access log line per request on standard output (client method path status bytes), \
            a JSON object per line with --json.
            Exit status: 0 stopped by a signal, 1 verification failed, 2 usage or I/O error.

            Examples:
              airgap-install serve astrago-1.0.0.tar.zst --key vendor.pub --listen 10.0.0.5:5000 \\
                  --registry harbor.site:443 --project astrago
              airgap-install serve astrago-1.0.0.tar.zst --key vendor.pub --listen 0.0.0.0:5443 \\
                  --tls-cert serve.crt --tls-key serve.key --json
            """)

    @Argument(help: "The bundle archive (format 2).")
    var file: String

    @Option(name: .customLong("key"), help: ArgumentHelp("The vendor's public key (PEM). Repeatable, for key rotation.", valueName: "pub"))
    var keys: [String] = []

    @Option(name: .customLong("listen"), help: ArgumentHelp("Address and port to listen on (port 0: any free port).", valueName: "addr:port"))
    var listen = "127.0.0.1:5000"

    @Option(
        name: .customLong("registry"), help: ArgumentHelp("The site registry the images will be pushed to, host[:port].", valueName: "host[:port]"))
    var registry: String?

    @Option(name: .customLong("project"), help: ArgumentHelp("The project push will use in the site registry.", valueName: "name"))
    var project: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "With --registry: where to write what deploy needs (default /var/lib/airgap-install/NAME-VERSION, as push).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve HTTPS with this PEM certificate chain.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("port-file"), help: ArgumentHelp("Write the port listened on to this file once listening.", valueName: "file"))
    var portFile: String?

    @Flag(name: .customLong("json"), help: "Access log and start line as JSON objects, one a line.")
    var json = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give the vendor's public key with --key") }
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen \"\(listen)\" is not ADDR:PORT (IPv6 as [ADDR]:PORT)") }
        guard (registry == nil) == (project == nil) else { throw ValidationError("--registry and --project go together") }
        guard stateDirectory == nil || registry != nil else { throw ValidationError("--state-dir is used with --registry and --project") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws {
        #if os(Linux)
            // Pieces are allocated on 8 pool threads and freed on the event loops; glibc's default
            // of an arena per thread keeps each one's high-water mark (bench/serve at 300 MB: peak
            // RSS 128 MB with the default, 102 MB with 2 arenas). M_ARENA_MAX is -8 in <malloc.h>.
            _ = glibcMallopt(-8, 2)
        #endif
        let trusted = try KeyFiles.readPublic(keys)
        let file = file
        let verified: VerifiedBundle
        let archive: BundleArchive
        let signed: BundleVerifier.SignedIndex
        do {
            // Format 1 (one zstd frame) has no random access: refused before the long verify.
            signed = try BundleVerifier(keys: trusted).readSignedIndex(file)
            let format = signed.index.formatVersion
            guard format >= 2 else {
                throw CommandFailure(
                    "\(file) is a format-\(format) bundle (one zstd frame): serve reads only format 2 (seekable), "
                        + "which it can read by random access. Ask the vendor for the bundle packed again without --format 1 "
                        + "(airgap-bundle pack writes format 2 by default; packing needs the vendor's signing key), "
                        + "or fill an existing registry with airgap-install push, which reads both formats.", .failed)
            }
            verified = try await BlockingWork.run { try BundleVerifier(keys: trusted).verify(file) }
            archive = try BundleArchive(path: file, keys: trusted)
        } catch { throw CommandFailure.from(error) }
        guard archive.index == verified.index, signed.index == verified.index else {
            throw CommandFailure("\(file) changed while it was being opened: verify it again", .failed)
        }
        var staged: String?
        if let registry, let project { staged = try await stageForDeploy(archive, indexBytes: signed.indexBytes, keys: trusted, registry, project) }
        let site = registry.flatMap { registry in project.map { ServedRepositories.SiteName(registry: registry, project: $0) } }
        let repositories: ServedRepositories
        do { repositories = try ServedRepositories(index: archive.index, site: site) } catch {
            throw CommandFailure(error.description, .failed)
        }
        let address = ListenAddress(listen)!
        let log = AccessLog(json: json)
        let server: BundleHTTPServer
        do {
            server = try await BundleHTTPServer.start(
                archive: archive, repositories: repositories,
                configuration: .init(host: address.host, port: address.port, tlsCertificate: tlsCertificate, tlsKey: tlsKey), log: log.write)
        } catch { throw CommandFailure(error.description, .usage) }
        let scheme = tlsCertificate == nil ? "http" : "https"
        let url = "\(scheme)://\(address.bracketedHost):\(server.port)"
        log.started(
            url: url, bundle: "\(archive.index.name) \(archive.index.version)", images: archive.index.images.count, names: repositories.catalog.count,
            stateDirectory: staged)
        if let portFile {
            do { try PosixFile.writeAtomically(Array("\(server.port)\n".utf8), to: portFile) } catch {
                await server.stop()
                throw CommandFailure("cannot write --port-file: \(error)", .usage)
            }
        }
        await StopSignal.wait()
        await server.stop()
        log.stopped()
    }
}

extension ServeCommand {
    /// Writes what deploy needs into the state directory (`DeployStaging`) under its lock, so
    /// components deploy before the site registry exists. Returns the directory; nil when a push
    /// holds its lock (said on standard error).
    func stageForDeploy(_ archive: BundleArchive, indexBytes: [UInt8], keys: [VerifyingKey], _ registry: String, _ project: String)
        async throws -> String?
    {
        let directory: String
        do {
            directory = try stateDirectory ?? PushOptions.defaultStateDirectory(name: archive.index.name, version: archive.index.version)
        } catch { throw CommandFailure.from(error) }
        let lock: StateDirectoryLock
        switch try StateLocking.lockUnlessHeld(directory, create: true) {
        case .success(let taken): lock = taken
        case .failure(let held):
            // A push running there (serve beside a push, for a faster first install) writes the same files.
            FileHandle.standardError.write(Data("deploy files not written: \(held.description); the push writes them\n".utf8))
            return nil
        }
        defer { lock.release() }
        let target = PushTarget(registry: registry, project: project, harborAPI: "", credential: nil)
        do { _ = try await DeployStaging.stage(archive, indexBytes: indexBytes, keys: keys, target: target, stateDirectory: directory) } catch {
            throw CommandFailure.from(error)
        }
        return directory
    }
}

/// `ADDR:PORT` or `[ADDR]:PORT`.
struct ListenAddress {
    var host: String
    var port: Int
    var bracketedHost: String { host.contains(":") ? "[\(host)]" : host }

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}

/// Waits for SIGTERM or SIGINT (one that came before the wait ends it at once).
enum StopSignal {
    static func wait() async {
        let (signals, received) = AsyncStream<Void>.makeStream()
        let sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { received.yield() }
            source.resume()
            return source
        }
        for await _ in signals { break }
        withExtendedLifetime(sources) {}
    }
}

/// The access log on standard output: a line per request, or a JSON object per line.
final class AccessLog: Sendable {
    private let json: Bool
    /// One line at a time on standard output.
    private let lock = Mutex(())

    init(json: Bool) { self.json = json }

    func write(_ record: AccessRecord) {
        emit(json ? Self.encode(record) : TerminalText.escaped(record.line, keepNewlines: false))
    }

    /// `stateDirectory`: where the files deploy needs were written (`--registry`).
    func started(url: String, bundle: String, images: Int, names: Int, stateDirectory: String?) {
        struct Start: Encodable {
            var event = "listening"
            var url: String
            var bundle: String
            var images: Int
            var stateDirectory: String?
        }
        let staged = stateDirectory.map { "; deploy files and relocation.json in \($0) (deploy can run before push)" } ?? ""
        emit(
            json
                ? Self.encode(Start(url: url, bundle: bundle, images: images, stateDirectory: stateDirectory))
                : "serving \(bundle): \(images) images (\(names) names) at \(url)\(staged)")
    }

    func stopped() {
        emit(json ? #"{"event":"stopped"}"# : "stopped")
    }

    private func emit(_ line: String) {
        lock.withLock { _ in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }

    private static func encode<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

#if os(Linux)
    /// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not import).
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
