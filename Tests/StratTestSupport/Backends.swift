import Foundation

/// The two databases the store, queue and server suites run against.
/// PostgreSQL is reached through `STRAT_TEST_POSTGRES_URL` (.ci/run starts a
/// server and sets it); without it the PostgreSQL cases are left out locally,
/// but in CI (`CI` set) they run and fail, so a missing server can never pass
/// as green.
public enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres

    public static let postgresURL = ProcessInfo.processInfo.environment["STRAT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static let inCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    public static var available: [Backend] { postgresURL != nil || inCI ? [.sqlite, .postgres] : [.sqlite] }
}
