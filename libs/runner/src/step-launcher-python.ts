/**
 * The step launcher's program in Python, run as `python3 -I -S -c <this text>` by StepLauncher.
 *
 * Why Python: Node's spawn() forks the calling process (libuv uses fork(), not vfork()), and on
 * this kind of machine that costs 0.7 ms of wall time and about 1 ms of CPU per step even from a
 * small node process. Python's os.posix_spawn() goes through glibc's posix_spawn (clone with
 * CLONE_VM | CLONE_VFORK): 0.13 ms. The launcher starts every shell step, so that difference is
 * on the path of every execution (bench/README.md, "Fourth session").
 *
 * It does exactly what the node launcher (launcherProgram in step-launcher.ts) does, over the
 * launcher's stdin and stdout instead of Node's IPC channel:
 * - worker → launcher: one JSON object per line (a LauncherRequest);
 * - launcher → worker: one JSON object per line (a LauncherEvent); an `output` event carries
 *   `n`, and exactly n raw bytes of the step's output follow its line.
 * Events are written without blocking: what the worker has not read yet waits in a buffer, and
 * past PAUSE_ABOVE bytes the launcher stops reading the steps' pipes, so a fast writer is slowed
 * down instead of filling the launcher's memory. Errors carry Node's codes and message shape
 * (`ENOENT: no such file or directory, mkdir '/x'`), so both launchers read the same to a user.
 *
 * Keep it free of backticks and dollar-brace sequences: it lives in a template literal.
 */
export const PYTHON_LAUNCHER_PROGRAM = String.raw`
import errno, json, os, selectors, signal, stat, sys, traceback

PAUSE_ABOVE = 1 << 20
RESUME_BELOW = 256 << 10
READ_SIZE = 65536
EXIT_DRAIN_READS = 16
# Signals this process changed (Python ignores SIGPIPE and SIGXFSZ; the others are caught so
# a terminal's Ctrl-C reaches the worker only): a step starts with the default for each.
RESET_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

selector = selectors.DefaultSelector()
unsent = bytearray()
writing = False
paused = False
steps = {}

def node_error(error, syscall=None, path=None):
    code = errno.errorcode.get(error.errno, 'EIO') if isinstance(error, OSError) and error.errno else None
    if code is None:
        return {'code': None, 'message': str(error)}
    text = (error.strerror or str(error))
    message = code + ': ' + text[:1].lower() + text[1:]
    syscall = syscall or getattr(error, 'switchboard_syscall', None)
    path = path if path is not None else error.filename
    if syscall:
        message += ', ' + syscall + (" '" + str(path) + "'" if path is not None else '')
    return {'code': code, 'message': message}

def tagged(syscall, call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except OSError as error:
        error.switchboard_syscall = syscall
        raise

def utf8(text):
    try:
        return text.encode('utf-8')
    except UnicodeEncodeError:
        # A lone surrogate: Node writes U+FFFD for it, and so does this.
        return text.encode('utf-16', 'surrogatepass').decode('utf-16', 'replace').encode('utf-8')

# Output toward the worker -------------------------------------------------------------------

def send(event, data=None):
    unsent.extend(json.dumps(event, separators=(',', ':')).encode('utf-8'))
    unsent.extend(b'\n')
    if data:
        unsent.extend(data)

def flush():
    global writing
    while unsent:
        try:
            written = os.write(1, unsent)
        except BlockingIOError:
            break
        except BrokenPipeError:
            os._exit(0)
        del unsent[:written]
    if unsent and not writing:
        selector.register(1, selectors.EVENT_WRITE, on_writable)
        writing = True
    elif not unsent and writing:
        selector.unregister(1)
        writing = False
    set_paused(len(unsent) > PAUSE_ABOVE or (paused and len(unsent) > RESUME_BELOW))

def on_writable(_fd):
    flush()

def set_paused(value):
    global paused
    if value == paused:
        return
    paused = value
    for step in steps.values():
        for fd in step.open_pipes():
            if value:
                selector.unregister(fd)
            else:
                selector.register(fd, selectors.EVENT_READ, step.on_pipe)

# Files ----------------------------------------------------------------------------------------

def write_files(files):
    for item in files:
        # O_EXCL: never write through something a step may have placed at that path.
        fd = tagged('open', os.open, item['path'], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            data = utf8(item['content'])
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

def retrying_writable(directory, action):
    # A step may have left a directory without read, write or search permission: take it back
    # (the steps run as this user) and try once more. The directory is one this walk found as a
    # directory, not through a link.
    try:
        return action()
    except PermissionError:
        tagged('chmod', os.chmod, directory, 0o700)
        return action()

def remove_all(root):
    # Iterative (a step can nest directories deeper than Python's recursion limit) and never
    # through a link: a link, even one put where the workspace was, is removed, not followed.
    try:
        info = os.lstat(root)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(root)
        return
    pending = [root]
    listed = []
    while pending:
        directory = pending.pop()
        try:
            entries = retrying_writable(directory, lambda: list(os.scandir(directory)))
        except FileNotFoundError:
            continue
        listed.append(directory)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
                continue
            try:
                retrying_writable(directory, lambda: os.unlink(entry.path))
            except FileNotFoundError:
                pass
    # Deepest first. The root's own parent is not the workspace's to change.
    for directory in reversed(listed):
        try:
            if directory == root:
                os.rmdir(directory)
            else:
                retrying_writable(os.path.dirname(directory), lambda: os.rmdir(directory))
        except FileNotFoundError:
            pass

# All or nothing: what was made is removed again if a later part fails (a full disk), so the
# next step can make the workspace afresh. A directory that was there before is never touched.
def create_tree(tree):
    tagged('mkdir', os.mkdir, tree['dir'], 0o700)
    try:
        for sub in tree['subdirs']:
            tagged('mkdir', os.mkdir, sub, 0o700)
        write_files(tree['files'])
    except BaseException:
        remove_all(tree['dir'])
        raise

def remove_tree(layout):
    try:
        # What the runner made, one call each; anything a step left makes a call fail: then recursively.
        for path in layout['files']:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for path in layout['subdirs'] + [layout['dir']]:
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
    except OSError:
        remove_all(layout['dir'])

def read_outputs(path, max_bytes):
    try:
        # O_NONBLOCK: a step could have replaced its output file with a FIFO that nobody ever writes.
        fd = tagged('open', os.open, path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return {'kind': 'missing'}
    except OSError as error:
        if error.errno == errno.ELOOP:
            return {'kind': 'refused', 'reason': 'the outputs file was replaced by a symbolic link'}
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return {'kind': 'refused', 'reason': 'the outputs file is not a regular file'}
        if info.st_size > max_bytes:
            return {'kind': 'refused', 'reason': 'outputs are ' + str(info.st_size) + ' bytes, more than the limit of ' + str(max_bytes)}
        # Never more than the limit: a process that left the group may still be appending.
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(READ_SIZE, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b''.join(chunks)
        if len(data) > max_bytes:
            return {'kind': 'refused', 'reason': 'outputs are more than the limit of ' + str(max_bytes) + ' bytes'}
        return {'kind': 'content', 'text': data.decode('utf-8', 'replace')}
    finally:
        os.close(fd)

def group_is_gone(pgid):
    try:
        os.killpg(pgid, 0)
        return False
    except ProcessLookupError:
        return True
    except PermissionError:
        return False

def do_files(request_id, request):
    try:
        result = None
        op = request['op']
        if op == 'create-tree':
            create_tree(request)
        elif op == 'read-outputs':
            result = read_outputs(request['path'], request['maxBytes'])
        else:
            remove_tree(request)
        event = {'type': 'files-done', 'id': request_id}
        if result is not None:
            event['result'] = result
        send(event)
    except Exception as error:
        send({'type': 'files-done', 'id': request_id, 'error': node_error(error)})

# Steps ----------------------------------------------------------------------------------------

def signal_name_of(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return 'SIG' + str(number)  # a real-time signal has no name here

def find_command(command, env):
    # As Node does: a bare name is looked up in the PATH the step gets, not this process's.
    if '/' in command:
        return command
    found_denied = None
    for directory in (env.get('PATH') or '/usr/bin:/bin').split(':'):
        candidate = os.path.join(directory or '.', command)
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            found_denied = found_denied or candidate
    if found_denied:
        return found_denied
    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command)

class Step:
    def __init__(self, request):
        self.request = request
        self.id = request['id']
        self.pid = None
        self.pipes = {}
        self.pidfd = None
        self.exited = False

    def open_pipes(self):
        return list(self.pipes.keys())

    def start(self):
        env = {utf8(k): utf8(v) for k, v in self.request['env'].items()}
        path = find_command(self.request['command'], self.request['env'])
        argv = [self.request['command']] + list(self.request['args'])
        out_read, out_write = os.pipe()
        try:
            err_read, err_write = os.pipe()
        except BaseException:
            os.close(out_read)
            os.close(out_write)
            raise
        try:
            # posix_spawn has no working directory of its own; this process is single-threaded.
            tagged('chdir', os.chdir, self.request['cwd'])
            try:
                self.pid = tagged('spawn ' + self.request['command'], os.posix_spawn, path, argv, env,
                    file_actions=[
                        (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                        (os.POSIX_SPAWN_DUP2, out_write, 1),
                        (os.POSIX_SPAWN_DUP2, err_write, 2),
                    ],
                    # setsid: the step leads its own process group, so one kill(-pgid) reaches all it started.
                    setsid=True, setsigdef=RESET_SIGNALS, setsigmask=())
            finally:
                os.chdir('/')
        except BaseException:
            os.close(out_read)
            os.close(err_read)
            raise
        finally:
            os.close(out_write)
            os.close(err_write)
        self.pipes = {out_read: 'stdout', err_read: 'stderr'}
        try:
            self.pidfd = os.pidfd_open(self.pid)
            for fd in self.pipes:
                os.set_blocking(fd, False)
            selector.register(self.pidfd, selectors.EVENT_READ, self.on_exit)
        except BaseException:
            # Started, but it could not be followed: it must not run unsupervised.
            self.abandon()
            raise
        if not paused:
            for fd in self.pipes:
                selector.register(fd, selectors.EVENT_READ, self.on_pipe)

    def abandon(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(self.pid, 0)
        if self.pidfd is not None:
            try:
                selector.unregister(self.pidfd)
            except (KeyError, ValueError):
                pass
            os.close(self.pidfd)
        for fd in list(self.pipes):
            os.close(fd)
        self.pipes = {}

    def close_pipe(self, fd):
        if fd not in self.pipes:
            return
        del self.pipes[fd]
        if not paused:
            selector.unregister(fd)
        os.close(fd)

    def read_pipe(self, fd):
        # True while the pipe may have more.
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return False
        if not data:
            self.close_pipe(fd)
            return False
        send({'type': 'output', 'id': self.id, 'stream': self.pipes[fd], 'n': len(data)}, data)
        return True

    def on_pipe(self, fd):
        # An event of this select() for a pipe closed meanwhile (its number may be another's now).
        if fd not in self.pipes:
            return
        self.read_pipe(fd)
        if not self.pipes and self.exited:
            self.forget()
            send({'type': 'output-closed', 'id': self.id})

    def stop_reading(self):
        for fd in list(self.pipes):
            self.close_pipe(fd)
        if self.exited:
            self.forget()

    def forget(self):
        steps.pop(self.id, None)

    def on_exit(self, _fd):
        if self.exited:
            return
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return
        except ChildProcessError:
            status = None
        selector.unregister(self.pidfd)
        os.close(self.pidfd)
        self.exited = True
        # What the step wrote before it ended goes before the news of its end; the pipes usually
        # reach EOF now too, and then one message says both.
        # Bounded: a process left behind may keep the pipe full; the main loop reads the rest.
        if not paused:
            for fd in list(self.pipes):
                for _ in range(EXIT_DRAIN_READS):
                    if fd not in self.pipes or not self.read_pipe(fd):
                        break
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        signal_name = None
        if code is not None and code < 0:
            signal_name = signal_name_of(-code)
            code = None
        output_closed = not self.pipes
        if output_closed:
            self.forget()
        # Nothing of the step left running (the usual case): its outputs file can no longer
        # change, so it is read now and goes with the exit, and the last step's workspace is
        # removed right after. Otherwise the worker ends the group first and asks for both.
        is_gone = group_is_gone(self.pid)
        outputs = None
        outputs_file = self.request.get('outputsFile')
        if is_gone and outputs_file:
            try:
                outputs = read_outputs(outputs_file['path'], outputs_file['maxBytes'])
            except OSError:
                pass  # left to the worker's own request, which reports why
        remove_after = self.request.get('removeAfterExit')
        removes_workspace = is_gone and outputs is not None and remove_after is not None
        event = {'type': 'exited', 'id': self.id, 'code': code, 'signal': signal_name, 'outputClosed': output_closed,
                 'removesWorkspace': removes_workspace, 'groupGone': is_gone}
        if outputs is not None:
            event['outputs'] = outputs
        send(event)
        if removes_workspace:
            flush()
            try:
                remove_tree(remove_after)
            except Exception as error:
                # A temp directory left behind; nothing waits for it.
                sys.stderr.write('step launcher: could not remove ' + str(remove_after['dir']) + ': ' + repr(error) + '\n')

def start(request):
    request_id = request['id']
    tree = request.get('tree')
    if tree:
        try:
            create_tree(tree)
        except Exception as error:
            send(dict({'type': 'failed', 'id': request_id, 'workspace': True}, **node_error(error)))
            return
    step = Step(request)
    try:
        write_files(request.get('files') or [])
        step.start()
    except Exception as error:
        send(dict({'type': 'failed', 'id': request_id}, **node_error(error)))
        return
    steps[request_id] = step
    send({'type': 'started', 'id': request_id, 'pid': step.pid})

# Requests from the worker ---------------------------------------------------------------------

received = bytearray()
scanned = 0  # bytes of received already known to hold no newline: a long request is not searched again and again

def on_request_bytes(_fd):
    global scanned
    chunk = os.read(0, READ_SIZE)
    if not chunk:
        # Only the worker decides when steps end; the launcher goes when the worker does, after
        # telling it everything (a step started just now must not go unreported).
        os.set_blocking(1, True)
        try:
            while unsent:
                del unsent[:os.write(1, unsent)]
        except OSError:
            pass
        os._exit(0)
    received.extend(chunk)
    while True:
        end = received.find(b'\n', scanned)
        if end < 0:
            scanned = len(received)
            return
        line = bytes(received[:end])
        del received[:end + 1]
        scanned = 0
        request = json.loads(line)
        kind = request['type']
        if kind == 'spawn':
            start(request)
        elif kind == 'files':
            do_files(request['id'], request['request'])
        else:
            step = steps.get(request['id'])
            if step:
                step.stop_reading()

def main():
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: None)
    os.chdir('/')
    os.close(os.pidfd_open(os.getpid()))  # fails on a kernel without pidfds: then the worker uses the node launcher
    os.set_blocking(1, False)
    selector.register(0, selectors.EVENT_READ, on_request_bytes)
    check_spawn()
    send({'type': 'ready'})
    flush()
    while True:
        for key, _mask in selector.select():
            try:
                key.data(key.fd)
            except Exception:
                # A bug must not end the launcher: that would kill every step it follows.
                traceback.print_exc()
        flush()

def check_spawn():
    # Fails here (and the worker takes the node launcher) rather than at every step, where this
    # Python cannot start a process in a new session.
    pid = os.posix_spawn('/bin/sh', ['sh', '-c', ':'], {}, setsid=True, setsigdef=RESET_SIGNALS, setsigmask=())
    os.waitpid(pid, 0)

main()
`;
