import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `strat` binary of this build: beside the test bundle, else the debug build.
public let stratBinary: URL = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("strat")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/strat")
}()

/// What a finished program left behind.
public struct Run: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public struct SubprocessError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs a program to completion with posix_spawn and waitpid.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit` spins a run loop
/// and can park a test thread forever once hundreds of children have run
/// (the tmux tests poll the screen many times a second), which hung a whole
/// CI run. Output goes through temporary files rather than pipes, so a child
/// that writes a lot to both streams never blocks; descriptors other than
/// 0–2 are closed in the child, so a daemon it starts (the tmux server)
/// holds nothing of ours. A child still running after `timeout` seconds is
/// killed and reported.
public func runProgram(_ program: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String]? = nil, input: String? = nil,
                       timeout: Double = 300) throws -> Run {
    try Child(program, arguments, in: directory, environment: environment, input: input).wait(timeout: timeout)
}

/// A started program, to wait for or to kill (a fetch killed half-way).
public final class Child {
    public let pid: pid_t
    let program: String
    let arguments: [String]
    let dir: URL
    var reaped = false

    public init(_ program: String, _ arguments: [String], in directory: String? = nil,
                environment: [String: String]? = nil, input: String? = nil) throws {
        self.program = program
        self.arguments = arguments
        dir = scratchDirectory.appendingPathComponent("strat-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let inPath = dir.appendingPathComponent("in").path, outPath = dir.appendingPathComponent("out").path,
            errPath = dir.appendingPathComponent("err").path
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inPath))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let directory { _ = GlibcSpawn.addChdir(&actions, directory) }
        _ = GlibcSpawn.addCloseFrom(&actions, 3)

        // A clean signal state: a test thread (a Dispatch worker) blocks most
        // signals, and a child would inherit that mask — the tmux server then
        // ignored the SIGTERM of `kill-server` and outlived the tests.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }

        var pid: pid_t = 0
        // posix_spawnp searches PATH for a bare name such as "tmux".
        let spawned = program.contains("/") ? posix_spawn(&pid, program, &actions, &attributes, argv, envp)
                                            : posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            try? FileManager.default.removeItem(at: dir)
            throw SubprocessError(description: "cannot start \(program): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    deinit {
        if !reaped { Glibc.kill(pid, SIGKILL); var status: Int32 = 0; _ = waitpid(pid, &status, 0) }
        try? FileManager.default.removeItem(at: dir)
    }

    public func kill(_ signal: Int32 = SIGKILL) { Glibc.kill(pid, signal) }

    /// What the program has written to stdout so far (a server's "listening on" line).
    public var outputSoFar: String { soFar("out") }
    /// … and to stderr (a browser's DevTools address).
    public var errorsSoFar: String { soFar("err") }

    func soFar(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) ?? Data(), as: UTF8.self)
    }

    /// Waits for the program to end (killing it after `timeout` seconds) and
    /// returns its status and output.
    public func wait(timeout: Double = 300) throws -> Run {
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 200
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR {
                throw SubprocessError(description: "waitpid \(program): \(String(cString: strerror(errno)))")
            }
            if Date() > deadline {
                Glibc.kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                reaped = true
                throw SubprocessError(description: "\(program) \(arguments.joined(separator: " ")) still ran after \(timeout) s; killed")
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        reaped = true
        // Exit code, or 128 + signal as a shell reports it.
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        func read(_ name: String) -> String {
            String(decoding: FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) ?? Data(), as: UTF8.self)
        }
        return Run(status: code, stdout: read("out"), stderr: read("err"))
    }
}

/// glibc's `_np` spawn actions (2.29 and 2.34), which the Glibc module does
/// not import because they sit behind _GNU_SOURCE.
private enum GlibcSpawn {
    typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    nonisolated(unsafe) static let library = dlopen(nil, RTLD_NOW)
    static let addChdir: Chdir = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: CloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np")

    static func symbol<F>(_ name: String) -> F {
        guard let p = dlsym(library, name) else { fatalError("glibc lacks \(name); the tests need glibc 2.34 or later") }
        return unsafeBitCast(p, to: F.self)
    }
}
