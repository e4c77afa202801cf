/// Progress of a build, phase by phase, for a terminal or a log.
public enum BuildEvent: Sendable {
    case phase(String)
    case componentResolved(name: String, chart: String, images: Int)
    case fetchPlanned(bytes: Int64, fromCache: Int64)
    case fetched(Int64)
    case note(String)
}
