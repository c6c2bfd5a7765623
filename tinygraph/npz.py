"""The `.npz` file, read and written with care: what `save` and `load` ask of the operating system.

Reading trusts nothing the file's author wrote about sizes. `open_regular` opens only a regular file
(a FIFO would block, `/dev/zero` never ends) and measures its real size; `read_array` reads one
`.npy` member only after checking that the data it claims is no more than what is left of that real
size, and then reads what is there. So no hostile file can make `load` allocate more than its size.

Writing is what a careful editor does (`write_atomically`): the new content goes to a temporary file
in the same directory, which then replaces the target in one step, so a failure midway leaves the
old file as it was. A new file gets the permissions `open()` would give it (the umask applies); a
file that exists keeps its permissions and group; a read-only file is refused; a symbolic link is
written through (the file it points to is replaced, the link stays).
"""

import errno
import os
import secrets
import stat
import zipfile

import numpy as np

from . import checks

NPY_VERSIONS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def as_path(path, owner):
    """`path` (a str, bytes or `os.PathLike`) as a str, or a `TypeError` naming `owner`."""
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{owner}: path must be a file name (str, bytes or os.PathLike), got {checks.describe(path)}") from None


# -- reading -------------------------------------------------------------------------------------


def open_regular(path):
    """Open `path` for reading in binary mode, refusing anything but a regular file (`ValueError`).

    Opened without blocking, so that a FIFO is refused instead of waiting forever for a writer.
    Missing files and directories raise `FileNotFoundError` and `IsADirectoryError` as `open` would.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(mode):
            raise ValueError(f"it is not a regular file but {_kind(mode)}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode):
    kinds = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


class Archive:
    """The members of an `.npz` file opened with `open_regular`, read within the file's real size.

    `names` lists the arrays (member names without `.npy`), each once; `read(name, check)` reads one.
    """

    def __init__(self, file):
        self.left = os.fstat(file.fileno()).st_size  # bytes of data not yet taken by an array
        self.zip = zipfile.ZipFile(file)
        self.members = {}
        for info in self.zip.infolist():
            name = info.filename[: -len(".npy")]
            if not info.filename.endswith(".npy") or name in self.members:
                raise ValueError(f"unexpected member {info.filename!r:.80}")
            if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                raise ValueError(f"member {info.filename!r:.80} is compressed or encrypted")
            self.members[name] = info
        self.names = list(self.members)

    def read(self, name, check=None):
        """The array `name`; `check(shape, dtype)` may refuse it from its `.npy` header, before any data is read.

        Only float32/float64 arrays (any byte order, returned in the native one) and text are read;
        data claimed beyond what is left of the file is refused.
        """
        info = self.members[name]
        with self.zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version not in NPY_VERSIONS:
                raise ValueError(f"member {info.filename!r:.80} has .npy version {version}")
            shape, fortran_order, dtype = NPY_VERSIONS[version](member)
            if dtype.kind not in "fU" or (dtype.kind == "f" and dtype.itemsize not in (4, 8)):
                raise ValueError(f"{name!r:.80} has dtype {dtype}; expected float32 or float64")
            if check is not None:
                check(shape, dtype)
            size = 1
            for n in shape:
                size *= n
            nbytes = size * dtype.itemsize
            if nbytes > min(self.left, info.file_size):
                raise ValueError(f"{name!r:.80} claims more data than the file holds")
            data = member.read(nbytes)
            if len(data) != nbytes:
                raise ValueError(f"{name!r:.80} is truncated")
            if member.read(1):  # reading to the end also makes zipfile check the member's CRC
                raise ValueError(f"{name!r:.80} has data after its array")
        self.left -= nbytes
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
        return array.astype(dtype.newbyteorder("=")) if not dtype.isnative else array


# -- writing -------------------------------------------------------------------------------------


def write_atomically(path, write, owner):
    """Call `write(file)` on a new temporary file, then move it over `path` (see the module docstring).

    Refuses what `check_writable` refuses, before anything is written.
    """
    target, old = check_writable(path, owner, probe=False)
    fd, temporary = _create_temporary(os.path.dirname(target), os.path.basename(target), 0o600 if old else 0o666)
    try:
        if old is not None:
            _keep_access(fd, old)
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def check_writable(path, owner, probe=True):
    """`(target, stat of the old file or None)`: the file `path` names, through any symbolic links.

    Refuses a directory that does not exist (`FileNotFoundError`), a target that is a directory
    (`IsADirectoryError`), read-only (`PermissionError`) or not a regular file (`ValueError`); with
    `probe`, also a directory where no file can be made (by making one, and removing it).
    """
    target = os.path.realpath(path)  # through any symbolic links: the link itself stays
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{owner}: cannot write {path}: the directory {directory} does not exist")
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    if old is not None:
        if stat.S_ISDIR(old.st_mode):
            raise IsADirectoryError(f"{owner}: cannot write {path}: it is a directory")
        if not stat.S_ISREG(old.st_mode):
            raise ValueError(f"{owner}: cannot write {path}: it is {_kind(old.st_mode)}, not a regular file")
        if not old.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise PermissionError(f"{owner}: cannot write {path}: it is read-only (make it writable or remove it first)")
    if probe:
        try:
            fd, temporary = _create_temporary(directory, os.path.basename(target), 0o600)
        except OSError as error:
            raise type(error)(f"{owner}: cannot write {path}: {error.strerror or error}") from None
        os.close(fd)
        os.unlink(temporary)
    return target, old


def _create_temporary(directory, base, mode):
    """A new file `.base.XXXXXXXX.tmp` in `directory`, created with `mode` (less the umask, as `open` does)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory}")


def _keep_access(fd, old):
    """Give the new file the old one's permission bits and group; where the group cannot be kept,
    keep only the owner's permissions, so that nobody who could not read the old file reads the new one."""
    mode = stat.S_IMODE(old.st_mode) & 0o777
    if hasattr(os, "fchown"):
        try:
            if os.fstat(fd).st_gid != old.st_gid:
                os.fchown(fd, -1, old.st_gid)
        except OSError:
            mode &= 0o700
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
