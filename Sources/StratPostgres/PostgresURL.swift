import Foundation
import PostgresNIO

/// A `postgres://` URL in the form libpq takes: `postgres://user[:password]@host[:port]/database`,
/// with `?sslmode=disable|prefer|require`, `?host=/socket/dir` for a Unix socket,
/// and `user`, `password`, `dbname`, `port` as query items too. The queue
/// (StratQueue) and the market-data store (StratData) both connect with it.
public struct PostgresURL: Sendable {
    public enum SSL: Sendable { case disable, prefer, require }
    public var host: String?, port: Int, socket: String?
    public var user: String, password: String?, database: String?
    public var ssl: SSL
    /// Where, for messages: host:port/database or the socket, never the password.
    public var place: String
    /// The URL for messages: everything but the password.
    public var label: String { "postgres://\(user)@\(place)" }

    /// What is wrong with a URL, in words (the password hidden).
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ url: String) throws(Error) {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? "") else {
            throw Error(description: "--postgres \(Self.hidingPassword(url)): expected postgres://user[:password]@host[:port]/database")
        }
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        user = parts.user ?? query["user"] ?? "postgres"
        password = parts.password ?? query["password"]
        database = parts.path.isEmpty || parts.path == "/" ? query["dbname"] : String(parts.path.dropFirst())
        switch query["sslmode"] ?? "prefer" {
        case "disable": ssl = .disable
        case "prefer", "allow": ssl = .prefer
        case "require", "verify-ca", "verify-full": ssl = .require
        case let mode: throw Error(description: "--postgres: sslmode=\(mode): expected disable, prefer or require")
        }
        port = parts.port ?? Int(query["port"] ?? "") ?? 5432
        if let dir = query["host"], dir.hasPrefix("/") {
            socket = "\(dir)/.s.PGSQL.\(port)"
            place = socket!
        } else {
            guard let host = parts.host, !host.isEmpty else {
                throw Error(description: "--postgres \(Self.hidingPassword(url)): no host; expected postgres://user@host[:port]/database or ?host=/socket/dir")
            }
            self.host = host
            place = "\(host):\(port)"
        }
        place += "/" + (database ?? "")
    }

    /// `url` with any password in it replaced by `…`.
    public static func hidingPassword(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        if parts.password != nil { parts.password = "…" }
        if let items = parts.queryItems, items.contains(where: { $0.name == "password" }) {
            parts.queryItems = items.map { $0.name == "password" ? URLQueryItem(name: "password", value: "…") : $0 }
        }
        return parts.string ?? url
    }

    /// For one connection.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socket { return .init(unixSocketPath: socket, username: user, password: password, database: database) }
        let tls: PostgresConnection.Configuration.TLS = switch ssl {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return .init(host: host!, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// For a pool.
    public func clientConfiguration() -> PostgresClient.Configuration {
        if let socket { return .init(unixSocketPath: socket, username: user, password: password, database: database) }
        let tls: PostgresClient.Configuration.TLS = switch ssl {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        return .init(host: host!, port: port, username: user, password: password, database: database, tls: tls)
    }
}
