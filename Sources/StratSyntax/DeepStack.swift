#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs front-end work on a thread with a stack of its own, `DeepStack.size`.
///
///     let (program, diags) = DeepStack.run { Parser.parse(file) }   // what `Parser.parse` does itself
///
/// The parser, checker, lowering, formatter and AST dump recurse once per level
/// of nesting. A run of binary operators is walked in a loop whatever its length,
/// and nesting is bounded (`Limits.maxNesting`, `Limits.maxExpandedDepth`), but a
/// debug build spends kilobytes of stack per level, more than a secondary
/// thread's 512 KB (or the main thread's 8 MB) holds at the deepest nesting the
/// limits accept. So every public entry point of those phases runs here: the
/// caller's thread can be any thread. Work already on such a thread runs in
/// place; the thread is joined before `run` returns, so `body` need not escape.
public enum DeepStack {
    /// Measured need at the limits in a debug build: 4.9 MB for the deepest
    /// expression the parser accepts, 12.6 MB for the deepest expansion of
    /// calls (Docs/Limits.md); the rest is margin. Only the pages touched are used.
    public static let size = 64 << 20

    public static func run<T>(_ body: () -> T) -> T {
        if onDeepStack { return body() }
        var result: T?
        withoutActuallyEscaping(body) { body in
            let job = Job { result = body() }
            if !start(job) { job.work() }   // no thread to be had: run in place
        }
        return result!
    }

    final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Runs `job` on a new thread with a `size` stack and waits for it.
    private static func start(_ job: Job) -> Bool {
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return false }
        defer { pthread_attr_destroy(&attributes) }
        guard pthread_attr_setstacksize(&attributes, size) == 0 else { return false }
        let context = Unmanaged.passRetained(job).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let created = pthread_create(&thread, &attributes, { context in
            #if canImport(Darwin)
            let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
            #else
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            #endif
            pthread_setspecific(DeepStack.key, UnsafeRawPointer(bitPattern: 1))
            job.work()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Job>.fromOpaque(context).release()
            return false
        }
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
        return true
    }

    /// Marks the threads `run` starts.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static var onDeepStack: Bool { pthread_getspecific(key) != nil }
}
