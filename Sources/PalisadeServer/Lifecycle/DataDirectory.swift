import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The server's data directory: created 0700, refused if another user owns it; secrets in it
/// are written 0600 and never through a symlink.
public struct DataDirectory: Sendable {
    public let path: String

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Creates the directory (and parents) if needed and checks that it is ours.
    public static func prepare(_ path: String) throws(Failure) -> DataDirectory {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if mkdir(url.path, 0o700) != 0 && errno != EEXIST {
            do {
                try FileManager.default.createDirectory(
                    at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure(description: "cannot create data directory \(url.path): \(error.localizedDescription)")
            }
        }
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure(description: "data directory \(url.path) is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw Failure(
                description:
                    "data directory \(url.path) belongs to uid \(info.st_uid), not to this user (uid \(geteuid()))")
        }
        guard access(url.path, W_OK) == 0 else {
            throw Failure(description: "data directory \(url.path) is not writable")
        }
        return DataDirectory(path: url.path)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Takes the directory's exclusive lock for the life of the process, so a second server on
    /// the same directory refuses to start instead of sharing (and corrupting) its state.
    public func lock() throws(Failure) -> Int32 {
        let lockPath = file("palisade.lock")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw Failure(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder =
                n > 0
                ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw Failure(description: "data directory \(path) is in use by another palisade process (pid \(holder))")
        }
        ftruncate(fd, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }

    public func subdirectory(_ name: String) throws(Failure) -> DataDirectory {
        try DataDirectory.prepare(file(name))
    }

    public func exists(_ name: String) -> Bool { access(file(name), F_OK) == 0 }

    public func read(_ name: String) throws(Failure) -> String {
        guard let text = try? String(contentsOfFile: file(name), encoding: .utf8) else {
            throw Failure(description: "cannot read \(file(name))")
        }
        return text
    }

    /// Writes `contents` with the given mode, replacing any previous file atomically (write to
    /// a temporary name, fsync, rename), never following a symlink.
    public func write(_ name: String, _ contents: String, mode: mode_t = 0o600) throws(Failure) {
        let target = file(name)
        let temporary = target + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(description: "cannot write \(target): \(String(cString: strerror(errno)))") }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw Failure(description: "cannot write \(target): \(reason)")
            }
            written += n
        }
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot write \(target): \(String(cString: strerror(errno)))")
        }
    }
}
