import CReadline
import Foundation

/// Where the REPL's lines come from.
public protocol LineReader: AnyObject {
    /// The next line without its newline; nil at the end of input (Ctrl-D).
    func read(prompt: String) -> String?
    /// Records a complete entry in the history.
    func remember(_ entry: String)
    /// True once after Ctrl-C abandoned the line being typed.
    func takeInterrupt() -> Bool
}

/// Lines from a pipe or a file: no prompts, no editing.
public final class PlainReader: LineReader {
    public init() {}
    public func read(prompt: String) -> String? { Swift.readLine(strippingNewline: true) }
    public func remember(_ entry: String) {}
    public func takeInterrupt() -> Bool { false }
}

// State the C callbacks read (readline calls them without a context pointer).
nonisolated(unsafe) private var completionWords: [String] = []
nonisolated(unsafe) private var completionMatches: [String] = []
nonisolated(unsafe) private var completionIndex = 0
nonisolated(unsafe) private var interrupted: sig_atomic_t = 0
nonisolated(unsafe) private var primaryPrompt: UnsafeMutablePointer<CChar>? = nil

/// GNU readline: line editing, history kept in a file, tab completion, Ctrl-C
/// abandons the current input, Ctrl-D on an empty line ends the session.
public final class ReadlineReader: LineReader {
    let historyPath: String
    let words: () -> [String]

    public init(historyPath: String, prompt: String, words: @escaping () -> [String]) {
        self.historyPath = historyPath
        self.words = words
        primaryPrompt = strdup(prompt)
        using_history()
        read_history(historyPath)
        rl_readline_name = UnsafePointer(strdup("strat"))
        // Complete built-ins, names and meta-commands; `:` and `_` are part of words.
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n\"\\'`@$><=;|&{(+-*/,[]"))
        rl_attempted_completion_function = { text, _, _ in
            rl_attempted_completion_over = 1     // no file-name completion
            rl_completion_append_character = 0   // `bbands` then `(`, not `bbands (`
            return rl_completion_matches(text) { text, state in
                if state == 0 {
                    let prefix = text.map { String(cString: $0) } ?? ""
                    completionMatches = completionWords.filter { $0.hasPrefix(prefix) }
                    completionIndex = 0
                }
                guard completionIndex < completionMatches.count else { return nil }
                defer { completionIndex += 1 }
                return strdup(completionMatches[completionIndex])
            }
        }
        // Ctrl-C: drop what is typed (and any open multi-line entry), fresh prompt.
        // The handler runs on this (the reading) thread: SIGINT is unblocked here,
        // where the runtime may have inherited it blocked.
        rl_catch_signals = 0
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            interrupted = 1
            _ = write(1, "\n", 1)
            rl_set_prompt(primaryPrompt)
            rl_on_new_line()
            rl_replace_line("", 0)
            rl_redisplay()
        }
    }

    public func read(prompt: String) -> String? {
        completionWords = words()
        guard let line = readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    public func remember(_ entry: String) {
        let flat = entry.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        guard !flat.isEmpty else { return }
        add_history(flat)
        // Appended at once, so a second session sees it even if this one is killed.
        if append_history(1, historyPath) != 0 { write_history(historyPath) }
        history_truncate_file(historyPath, 5000)
    }

    public func takeInterrupt() -> Bool {
        defer { interrupted = 0 }
        return interrupted != 0
    }
}
