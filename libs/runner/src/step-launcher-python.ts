/**
 * The step launcher's program in Python, run as `python3 -I -S -c <this text>` by StepLauncher.
 *
 * Why Python: Node's spawn() forks the calling process (libuv uses fork(), not vfork()), and on
 * this kind of machine that costs 0.7 ms of wall time and about 1 ms of CPU per step even from a
 * small node process. Python's os.posix_spawn() goes through glibc's posix_spawn (clone with
 * CLONE_VM | CLONE_VFORK): 0.13 ms. The launcher starts every shell step, so that difference is
 * on the path of every execution (bench/README.md, "Fourth session").
 *
 * It does what the node launcher (launcherProgram in step-launcher.ts) does, over the launcher's
 * stdin and stdout instead of Node's IPC channel, and it alone keeps warm shells: bash started
 * ahead of the bash steps that will use them (see "Warm shells" below). Requests and events:
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
import errno, fcntl, json, os, pwd, selectors, signal, stat, sys, traceback

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

# Warm shells ---------------------------------------------------------------------------------
#
# A bash step's process can be started before its request arrives. The shell starts and sets
# itself up (1.5-2 ms on the benchmark machine, most of a short step's start) while nothing waits
# for it, then blocks reading fd 3. The request then only hands it the working directory, the
# script and the environment, through a memfd on fd 4, and the shell sources the script. The
# shell runs the script as 'bash script' would, in its own session, with the same environment,
# working directory, $0, signals and descriptors. What differs is listed in docs/procedures.md
# ("Warm shells"). A request that is not plainly 'bash <script>', or whose environment names a
# variable bash treats specially, starts a shell the usual way.

WARM_LANG = 'C.UTF-8'

def login_shell():
    # What bash sets SHELL to when its environment has none, from the password database. A warm
    # shell gets it in its environment, which spares each one that lookup (the nscd socket,
    # nsswitch.conf and /etc/passwd: 19 system calls, about 0.05 ms of CPU), and unexports it before
    # the step, as 'bash script' has it. Read once: a change of the user's shell reaches warm shells
    # when the launcher starts again. Without an entry, bash does its own lookup.
    try:
        return pwd.getpwuid(os.getuid()).pw_shell or None
    except KeyError:
        return None

WARM_SHELL = login_shell()
WARM_ENV = {'LANG': WARM_LANG, 'SHELL': WARM_SHELL} if WARM_SHELL else {'LANG': WARM_LANG}
# Written with @{ for a dollar-brace: this text lives in a template literal.
WARM_BOOTSTRAP = (
    # BASH_ARGV0 and mapfile -d need bash 5: an older one exits 97 and is not used again.
    '((BASH_VERSINFO[0] >= 5)) || exit 97; '
    # End of file: the launcher no longer wants this shell.
    'read -r -u 3 __switchboard_warm || exit 0; exec 3<&-; '
    # The request, NUL-separated: working directory, script, then NAME=value for the environment.
    "mapfile -d '' -t -u 4 __switchboard_warm; exec 4<&-; "
    'cd -- "@{__switchboard_warm[0]}" || exit 126; '
    'BASH_ARGV0=@{__switchboard_warm[1]}; '
    'export -- "@{__switchboard_warm[@]:2}"; '
    # As 'bash script' has it: OLDPWD exported without a value, SHELL not exported, nothing of this text left.
    'unset __switchboard_warm OLDPWD BASH_EXECUTION_STRING; export OLDPWD; export -n SHELL; . "$0"'
).replace('@{', '$' + '{')
# Variables bash sets, or reads when it starts, or treats specially when assigned: a step whose
# environment names one of them starts the usual way, where bash takes them from its environment.
WARM_SHELL_NAMES = frozenset((
    '_ CDPATH CHILD_MAX COLUMNS COMPREPLY COPROC DIRSTACK EMACS ENV EPOCHREALTIME EPOCHSECONDS EUID '
    'EXECIGNORE FCEDIT FIGNORE FUNCNAME FUNCNEST GLOBIGNORE GROUPS histchars HISTCMD HISTCONTROL '
    'HISTFILE HISTFILESIZE HISTIGNORE HISTSIZE HISTTIMEFORMAT HOSTFILE HOSTNAME HOSTTYPE IFS '
    'IGNOREEOF INPUTRC INSIDE_EMACS LANGUAGE LINENO LINES MACHTYPE MAIL MAILCHECK MAILPATH MAPFILE '
    'OLDPWD OPTARG OPTERR OPTIND OSTYPE PIPESTATUS POSIXLY_CORRECT PPID PROMPT_COMMAND '
    'PROMPT_DIRTRIM PS0 PS1 PS2 PS3 PS4 PWD RANDOM REPLY SECONDS SHELL SHELLOPTS SHLVL SRANDOM '
    'TERM TEXTDOMAIN TEXTDOMAINDIR TIMEFORMAT TMOUT UID auto_resume'
).split())
WARM_SHELL_PREFIXES = ('BASH', 'COMP_', 'LC_', 'READLINE_', '__switchboard')
# Within these a usual start could not fail for the environment's size (E2BIG) either.
WARM_MAX_STRING = 128 * 1024 - 1
WARM_MAX_TOTAL = os.sysconf('SC_ARG_MAX') // 2

def warm_request_data(request):
    # The request as the warm shell reads it, or None if it is to start the usual way.
    env = request['env']
    # An absolute script: source would look a bare name up in PATH. Some variable besides LANG:
    # export without words would list the environment on the step's stdout.
    if env.get('LANG') != WARM_LANG or len(env) < 2 or len(request['args']) != 1 or not request['args'][0].startswith('/'):
        return None
    strings = [utf8(request['cwd']), utf8(request['args'][0])]
    for name, value in env.items():
        if not (name.isascii() and name.isidentifier()) or name in WARM_SHELL_NAMES or name.startswith(WARM_SHELL_PREFIXES):
            return None
        if name != 'LANG':
            strings.append(utf8(name + '=' + value))
    if any(b'\0' in text or len(text) > WARM_MAX_STRING for text in strings) or sum(len(text) + 1 for text in strings) > WARM_MAX_TOTAL:
        return None
    # The usual start reports a working directory that is not there; so does a start made that way.
    if not os.path.isdir(request['cwd']):
        return None
    return b'\0'.join(strings) + b'\0'

def above_stdio(fd):
    # The descriptor as a number a warm shell's dup2 onto 0-4 cannot overwrite before using it.
    if fd > 4:
        return fd
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    finally:
        os.close(fd)

class WarmShell:
    def __init__(self, path):
        self.pid = None
        self.pidfd = None
        self.go = None
        self.request = None
        self.pipes = {}
        child_ends = []
        try:
            go_read, self.go = os.pipe()
            child_ends.append(above_stdio(go_read))
            self.request = above_stdio(os.memfd_create('switchboard-step-request'))
            out_read, out_write = os.pipe()
            self.pipes[out_read] = 'stdout'
            child_ends.append(above_stdio(out_write))
            err_read, err_write = os.pipe()
            self.pipes[err_read] = 'stderr'
            child_ends.append(above_stdio(err_write))
            # argv[0] is the path: bash sets $BASH from it, as it does from a step's PATH when started the usual way.
            self.pid = os.posix_spawn(path, [path, '-c', WARM_BOOTSTRAP, 'bash'], WARM_ENV,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, child_ends[1], 1),
                    (os.POSIX_SPAWN_DUP2, child_ends[2], 2),
                    (os.POSIX_SPAWN_DUP2, child_ends[0], 3),
                    (os.POSIX_SPAWN_DUP2, self.request, 4),
                ],
                setsid=True, setsigdef=RESET_SIGNALS, setsigmask=())
            self.pidfd = os.pidfd_open(self.pid)
        except BaseException:
            self.close()
            raise
        finally:
            for fd in child_ends:
                os.close(fd)

    def hand_over(self, data):
        # True once the shell has its request; False if it is gone (its fds are then closed).
        try:
            view = memoryview(data)
            offset = 0
            while offset < len(view):
                offset += os.pwrite(self.request, view[offset:], offset)
            os.write(self.go, b'\n')
        except OSError:
            self.close()
            return False
        os.close(self.go)
        os.close(self.request)
        self.go = self.request = None
        return True

    def close(self):
        # Closes what this process holds of the shell and, unless it was reaped already, kills and reaps it.
        for fd in [self.go, self.request, self.pidfd] + list(self.pipes):
            if fd is not None:
                os.close(fd)
        self.go = self.request = self.pidfd = None
        self.pipes = {}
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass

    def left_behind(self):
        # What a shell that died idle wrote to stderr (why it could not start, say).
        for fd, name in self.pipes.items():
            if name == 'stderr':
                os.set_blocking(fd, False)
                try:
                    return os.read(fd, 2048).decode('utf-8', 'replace').strip()
                except OSError:
                    return ''
        return ''

class WarmShells:
    # Up to size bash shells started ahead of their steps, for the interpreter the last bash
    # step used. Several deaths before use in a row, or a bash older than 5, stop the warming.
    def __init__(self, size):
        self.size = size
        self.path = None
        self.idle = []
        self.deaths = 0
        self.is_off = size <= 0

    def want(self, path):
        # Keep shells of this bash from now on (the launcher's start, or a bash step that found none waiting).
        if not self.is_off and path != self.path:
            self.clear()
            self.path = path

    def take(self, path, request):
        # (pid, pipes, pidfd) of a warm shell now running the request, or None.
        if path != self.path or not self.idle:
            return None
        data = warm_request_data(request)
        if data is None:
            return None
        while self.idle:
            shell = self.idle.pop(0)
            selector.unregister(shell.pidfd)
            if shell.hand_over(data):
                self.deaths = 0
                return shell.pid, shell.pipes, shell.pidfd
        return None

    def refill(self, steps_running):
        # While steps run, one shell waits for the next bash step; the others start once no step
        # runs. A shell starting next to a running step slows it down, and glibc's posix_spawn
        # stops this launcher until the new shell has exec'd (1-2 ms on a busy machine), while
        # the exit of a short step may be waiting to be reported.
        want = min(self.size, 1) if steps_running else self.size
        while not self.is_off and self.path is not None and len(self.idle) < want:
            try:
                shell = WarmShell(self.path)
            except OSError as error:
                self.stop('could not start ' + self.path + ': ' + str(error))
                return
            selector.register(shell.pidfd, selectors.EVENT_READ, lambda _fd, shell=shell: self.on_idle_exit(shell))
            self.idle.append(shell)

    def on_idle_exit(self, shell):
        selector.unregister(shell.pidfd)
        if shell in self.idle:
            self.idle.remove(shell)
        _pid, status = os.waitpid(shell.pid, 0)
        shell.pid = None
        said = shell.left_behind()
        shell.close()
        if os.waitstatus_to_exitcode(status) == 97:
            self.stop(self.path + ' is older than bash 5')
            return
        self.deaths += 1
        if self.deaths >= 3:
            self.stop('warm shells of ' + self.path + ' keep exiting before use (last: ' + repr(said) + ')')

    def stop(self, why):
        sys.stderr.write('step launcher: no more warm shells: ' + why + '\n')
        self.is_off = True
        self.clear()

    def clear(self):
        while self.idle:
            shell = self.idle.pop()
            selector.unregister(shell.pidfd)
            shell.close()

warm_shells = WarmShells(int(sys.argv[1]) if len(sys.argv) > 1 else 0)

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
        path = find_command(self.request['command'], self.request['env'])
        taken = warm_shells.take(path, self.request) if self.request.get('warm') else None
        if taken:
            self.pid, self.pipes, self.pidfd = taken
        else:
            self.spawn(path)
            if self.request.get('warm'):
                warm_shells.want(path)
        try:
            if self.pidfd is None:
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

    def spawn(self, path):
        env = {utf8(k): utf8(v) for k, v in self.request['env'].items()}
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
    # The bash the steps will most likely use, from the PATH they get by default: shells for the
    # first bash step start now. A step that finds another bash switches them to that one.
    if len(sys.argv) > 2:
        try:
            warm_shells.want(find_command('bash', {'PATH': sys.argv[2]}))
        except OSError:
            pass
    while True:
        # After the answers are out: a shell for the next bash step starts while nothing waits.
        warm_shells.refill(any(not step.exited for step in steps.values()))
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
