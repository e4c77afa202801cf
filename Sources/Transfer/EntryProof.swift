import Integrity
import Synchronization

/// What the server knows about one entry's bytes in the archive: a chain over the entry's 256 KiB
/// chunks in order — each chunk's tag (`ChunkAuthenticator`: a GMAC under this run's secret key,
/// cheaper than SHA-256 and as hard to match with changed bytes while the key stays secret), and
/// the entry's data into one running SHA-256 — until the last chunk, where the entry's digest is
/// compared with `bundle.json`'s. Then the entry is proven, and every chunk's recorded tag is known
/// good for the rest of the run: any later read of a chunk from the file (a cache miss, a Range
/// request) is checked against it.
///
/// Reads extend the chain as they go (the first to need a chunk tags it; the others find its tag
/// recorded, or the chunk itself in the cache), so many clients reading one entry at the same time
/// hash it about once. A chain that fails (a changed header, a chunk that differs from its
/// recorded tag before the proof, a wrong entry digest) is thrown away and a new generation
/// starts; reads begun under the old one fail.
struct EntryProof {
    var generation = 0
    /// Tags of the entry's chunks from its first on, as far as the chain has come.
    var chunkTags: [[UInt8]] = []
    /// The entry's data hashed so far (nil once proven).
    var hasher: SHA256Hasher? = SHA256Hasher()
    var proven = false

    mutating func reset() {
        generation += 1
        chunkTags = []
        hasher = SHA256Hasher()
        proven = false
    }
}

/// One entry's proof behind a lock, and how many responses read the entry now (a chunk of an
/// entry more than one reads is worth caching).
final class EntryState: Sendable {
    let proof = Mutex(EntryProof())
    let readers = Atomic<Int>(0)
}
