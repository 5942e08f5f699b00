import ArgumentParser
import Foundation
import StratMarket

/// Output files never overwrite an input or each other, are checked before any
/// work starts, and fail in words (no Foundation error text reaches the user).

/// Where a path leads: an existing file's device and inode (every symlink and
/// hard link to it gives the same), else its directory's real path and its name.
enum FileIdentity: Hashable {
    case inode(UInt64, UInt64)
    case path(String)

    init(_ path: String) {
        var st = stat()
        if stat(path, &st) == 0 {
            self = .inode(UInt64(st.st_dev), UInt64(st.st_ino))
            return
        }
        let url = URL(fileURLWithPath: path)
        let real = realPath(url.deletingLastPathComponent().path) ?? url.deletingLastPathComponent().standardizedFileURL.path
        self = .path(real + "/" + url.lastPathComponent)
    }
}

/// The path with every symlink resolved (realpath(3)), or nil with errno set.
func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Refuses an output that is one of the inputs or another output, and one that
/// cannot be written (a directory, a missing directory, no permission).
/// `outputs` and `inputs` pair a description (`--json`, `the strategy`) with a path.
func checkOutputs(_ outputs: [(option: String, path: String)], inputs: [(what: String, path: String)]) throws {
    let inputIDs = inputs.map { ($0, FileIdentity($0.path)) }
    var seen: [(option: String, path: String, id: FileIdentity)] = []
    for out in outputs where out.path != "-" {
        let id = FileIdentity(out.path)
        if let input = inputIDs.first(where: { $0.1 == id })?.0 {
            throw UsageError(description: "\(out.option) \(out.path): that is \(input.what) (\(input.path)); an output never overwrites an input, so choose another path")
        }
        if let other = seen.first(where: { $0.id == id }) {
            throw UsageError(description: "\(other.option) \(other.path) and \(out.option) \(out.path) are the same file; give each output its own path")
        }
        seen.append((out.option, out.path, id))
        try checkWritable(out.path, option: out.option)
    }
}

/// Says why `path` cannot be written as a file, before any work is done.
func checkWritable(_ path: String, option: String) throws {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    if exists, isDirectory.boolValue {
        throw UsageError(description: "\(option) \(path): is a directory; expected a file path (e.g. \(URL(fileURLWithPath: path).appendingPathComponent("out.csv").path))")
    }
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var dirIsDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &dirIsDirectory) else {
        throw UsageError(description: "\(option) \(path): no such directory \(dir)")
    }
    guard dirIsDirectory.boolValue else { throw UsageError(description: "\(option) \(path): \(dir) is not a directory") }
    if exists ? access(path, W_OK) != 0 : access(dir, W_OK) != 0 {
        throw UsageError(description: "\(option) \(path): \(String(cString: strerror(errno))) (cannot write \(exists ? "the file" : "in \(dir)"))")
    }
}

/// Writes `data` to `path` (truncating it), saying what failed in words.
func writeOutput(_ data: Data, to path: String, option: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw UsageError(description: "\(option) \(path): cannot write: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    try writeAll(fd, data, path: path, option: option)
}

func writeAll(_ fd: Int32, _ data: Data, path: String, option: String) throws {
    let failed = writeFully(fd, data)
    guard failed == 0 else { throw UsageError(description: "\(option) \(path): cannot write: \(String(cString: strerror(failed)))") }
}

/// Rewrites a file whose text changed (`fmt --write`): through a symlink to
/// its target, keeping the mode; a file with other hard links is rewritten in
/// place (the links stay one file), any other through a temporary file renamed
/// over it (a crash leaves the old text or the new, never half).
func rewrite(_ path: String, with text: String) throws {
    guard let target = realPath(path) else { throw UsageError(description: "\(path): cannot be written: \(String(cString: strerror(errno)))") }
    var st = stat()
    guard stat(target, &st) == 0 else { throw UsageError(description: "\(path): cannot be written: \(String(cString: strerror(errno)))") }
    // A file the user may not write stays as it is, though its directory would allow a rename.
    guard access(target, W_OK) == 0 else { throw UsageError(description: "\(path): cannot be written: \(String(cString: strerror(errno)))") }
    let data = Data(text.utf8)
    func inPlace() throws {
        let fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw UsageError(description: "\(path): cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try writeAll(fd, data, path: path, option: "fmt --write")
    }
    if st.st_nlink > 1 { return try inPlace() }
    let dir = URL(fileURLWithPath: target).deletingLastPathComponent().path
    var template = Array((dir + "/." + URL(fileURLWithPath: target).lastPathComponent + ".XXXXXX").utf8CString)
    let fd = mkstemp(&template)
    // A directory that takes no new file: the file itself is still writable.
    guard fd >= 0 else { return try inPlace() }
    let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var renamed = false
    defer { close(fd); if !renamed { unlink(temporary) } }
    try writeAll(fd, data, path: path, option: "fmt --write")
    _ = fchmod(fd, st.st_mode & 0o7777)
    _ = fchown(fd, st.st_uid, st.st_gid)     // only root may give a file away; otherwise the owner is already the user
    guard fsync(fd) == 0, rename(temporary, target) == 0 else {
        throw UsageError(description: "\(path): cannot be written: \(String(cString: strerror(errno)))")
    }
    renamed = true
}
