import Foundation
@testable import StratData
import StratTestSupport
import Testing

extension Backend {
    static func requireURL() throws -> String {
        guard let postgresURL else {
            throw StoreError(description: "STRAT_TEST_POSTGRES_URL is not set; CI must run the store tests on PostgreSQL (.ci/run starts one)")
        }
        return postgresURL
    }
}

/// A fresh, empty store on `backend`: its own file, or its own schema.
/// `open` makes further handles on it, as other processes would have.
struct StorePlace: Sendable {
    let backend: Backend
    let name: String      // SQLite file, or PostgreSQL schema

    func open(readOnly: Bool = false) throws -> any SeriesStore {
        switch backend {
        case .sqlite: try Store(path: name, readOnly: readOnly)
        case .postgres: try PostgresStore(url: try Backend.requireURL(), schema: name, readOnly: readOnly)
        }
    }
}

/// A store on a fresh place, removed when `body` returns.
func withStore(_ backend: Backend, _ body: (any SeriesStore, StorePlace) async throws -> Void) async throws {
    let place = StorePlace(backend: backend, name: backend == .sqlite ? tempDB() : "sd_" + UUID().uuidString.prefix(8).lowercased())
    defer { removeStore(place) }
    try await body(try place.open(), place)
}

func removeStore(_ place: StorePlace) {
    switch place.backend {
    case .sqlite: try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: place.name).deletingLastPathComponent().path)
    case .postgres: try? dropSchema(place.name)
    }
}

func dropSchema(_ schema: String) throws {
    let admin = try PostgresStore(url: try Backend.requireURL(), schema: schema)
    try admin.run("DROP SCHEMA \(unescaped: schema) CASCADE")
}
