import Foundation

/// Shared between a run and whoever watches it (a server's worker): the run
/// writes its progress and stops, throwing `RunStopped`, once told to. It
/// looks every few thousand steps, so watching costs the run nothing.
public final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?
    private var done = 0.0

    public init() {}

    /// Asks the run to stop; the first reason given is the one it reports.
    public func stop(_ why: String) {
        lock.lock()
        if reason == nil { reason = why }
        lock.unlock()
    }

    public var stopReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    /// 0…1: the share of the bars done.
    public var progress: Double {
        get { lock.lock(); defer { lock.unlock() }; return done }
        set { lock.lock(); done = min(max(newValue, 0), 1); lock.unlock() }
    }
}

/// A run stopped by its `RunControl`.
public struct RunStopped: Error, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "stopped: \(reason)" }
}
