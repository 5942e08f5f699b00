import Foundation
import StratSema
import StratSyntax

/// The read–evaluate–print loop over a session.
public enum REPL {
    public static let prompt = "strat> "
    public static let continuation = "  ...> "

    /// Runs until the input ends or `:quit`; returns the exit status: 1 if any
    /// input had an error, else 0.
    public static func run(_ session: Session, reader: LineReader) -> Int32 {
        var buffer = ""
        var failed = false
        while true {
            let line = reader.read(prompt: buffer.isEmpty ? prompt : continuation)
            if reader.takeInterrupt() { buffer = "" }
            guard let line else {
                if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    emit(Reply(err: "error: the input ended inside an open ( [ or {\n", failed: true))
                    failed = true
                }
                if session.interactive { print("") }
                break
            }
            buffer += buffer.isEmpty ? line : "\n" + line
            if openBrackets(buffer) > 0 { continue }
            let entry = buffer
            buffer = ""
            reader.remember(entry)
            let reply = session.handle(entry)
            emit(reply)
            failed = failed || reply.failed
            if reply.quit { break }
        }
        return failed ? 1 : 0
    }

    public static func emit(_ r: Reply) {
        if !r.out.isEmpty { FileHandle.standardOutput.write(Data(r.out.utf8)) }
        if !r.err.isEmpty { FileHandle.standardError.write(Data(r.err.utf8)) }
    }

    /// ( [ { not yet closed, outside comments.
    static func openBrackets(_ text: String) -> Int {
        var depth = 0
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            switch c {
            case "/" where chars.first == "/":
                while let d = chars.first, d != "\n" { chars.removeFirst() }
            case "/" where chars.first == "*":
                chars.removeFirst()
                while let d = chars.popFirst(), !(d == "*" && chars.first == "/") {}
                _ = chars.popFirst()
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            default: break
            }
        }
        return depth
    }

    /// Everything tab completes: built-ins, bar fields, keywords, the session's
    /// names and the meta-commands.
    public static func completions(_ session: Session) -> [String] {
        let fields = BarField.allCases.map(\.rawValue)
        let keywords = ["let", "fn", "input", "if", "then", "else", "and", "or", "not", "true", "false", "in"]
        return (Array(Builtin.all.keys) + fields + keywords + session.names + Session.metaCommands).sorted()
    }
}
