import Foundation

/// A Foundation file error as its POSIX reason ("No such file or directory"),
/// for messages: NSCocoaErrorDomain text never reaches the user.
public func posixReason(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    switch CocoaError.Code(rawValue: ns.code) {
    case .fileNoSuchFile, .fileReadNoSuchFile: return "No such file or directory"
    case .fileWriteNoPermission, .fileReadNoPermission: return "Permission denied"
    case .fileWriteOutOfSpace: return "No space left on device"
    case .fileWriteVolumeReadOnly: return "Read-only file system"
    case .fileWriteFileExists: return "File exists"
    case .fileWriteInvalidFileName, .fileReadInvalidFileName: return "Invalid file name"
    default: return "the file operation failed"
    }
}

/// Writes all of `data` to `fd`, again after an interrupted write: 0, or the
/// errno of the write that failed (for a message: `strerror`).
public func writeFully(_ fd: Int32, _ data: Data) -> Int32 {
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int32 in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return 0
    }
}
