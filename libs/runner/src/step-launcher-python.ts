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
# a terminal's Ctrl-C reaches the worker only, SIGCHLD wakes the main loop): a step starts with
# the default for each.
RESET_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)

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

def write_files(files, executable=None):
    for item in files:
        # O_EXCL: never write through something a step may have placed at that path. A forked
        # shell executes its script (see "Forked shells"), so that one is made executable.
        mode = 0o700 if item['path'] == executable else 0o600
        fd = tagged('open', os.open, item['path'], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
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
def create_tree(tree, executable=None):
    tagged('mkdir', os.mkdir, tree['dir'], 0o700)
    try:
        for sub in tree['subdirs']:
            tagged('mkdir', os.mkdir, sub, 0o700)
        write_files(tree['files'], executable)
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

def start_shell(path, text, env, descriptors):
    # bash -c text in its own session, with the default for every signal, stdin on /dev/null and
    # each (fd, number) of descriptors as that number. argv[0] is the path: bash sets $BASH from
    # it, as it does from a step's PATH when started the usual way.
    return os.posix_spawn(path, [path, '-c', text, 'bash'], env,
        file_actions=[(os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0)] + [(os.POSIX_SPAWN_DUP2, fd, number) for fd, number in descriptors],
        setsid=True, setsigdef=RESET_SIGNALS, setsigmask=())

def above_stdio(fd, lowest=5):
    # The descriptor as a number a shell's dup2 onto 0 to lowest - 1 cannot overwrite before using it.
    if fd >= lowest:
        return fd
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)
    finally:
        os.close(fd)

class WarmShell:
    # A shell the launcher started itself: its data is sourced (see WARM_BOOTSTRAP).
    forked = False

    def __init__(self, path):
        self.prepare()
        try:
            go_read, out_write, err_write = self.child_ends
            self.pid = start_shell(path, WARM_BOOTSTRAP, WARM_ENV, [(out_write, 1), (err_write, 2), (go_read, 3), (self.request, 4)])
            self.pidfd = os.pidfd_open(self.pid)
        except BaseException:
            self.close()
            raise
        finally:
            self.opened()

    def prepare(self):
        # The shell's go pipe, request memfd, stdout and stderr pipes. child_ends holds the shell's
        # ends of the pipes (go's read end, stdout's and stderr's write ends), until it has them.
        self.pid = self.pidfd = self.go = self.request = None
        self.pipes = {}
        self.child_ends = []
        try:
            go_read, self.go = os.pipe()
            self.child_ends.append(above_stdio(go_read))
            self.request = above_stdio(os.memfd_create('switchboard-step-request'))
            out_read, out_write = os.pipe()
            self.pipes[out_read] = 'stdout'
            self.child_ends.append(above_stdio(out_write))
            err_read, err_write = os.pipe()
            self.pipes[err_read] = 'stderr'
            self.child_ends.append(above_stdio(err_write))
        except BaseException:
            self.close()
            raise

    def opened(self):
        # The shell has its ends of the pipes: this process's copies go.
        for fd in self.child_ends:
            os.close(fd)
        self.child_ends = []

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
        self.opened()
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

# Forked shells ---------------------------------------------------------------------------------
#
# Starting bash is most of a short bash step's CPU: the exec, the dynamic loader (whose cpuid
# probing traps to the hypervisor on a VM), the locale, bash's own set-up. A warm shell moves
# that off the step's path but still pays it. Forked shells do not: one bash, the shell server,
# is started as a warm shell is and forks them. Each forked shell leads its own process group
# (job control), opens the launcher's pipes for it through /proc/<launcher>/fd, and blocks
# reading them as a warm shell does. The shell that forked it exits at once, so the launcher,
# a child subreaper, becomes its parent: it waits for it as for any step and gets its exact
# status. On its request the shell exports the environment, changes directory and executes
# the script, which has no #! line: the kernel refuses it (ENOEXEC) and bash runs it as a new
# shell would, having cleared its variables, functions, options and traps (what bash does for
# any script without a #! line), with $$ its own, $0 the script and the environment given.
# What a step sees is what 'bash script' shows it except its session, which is the server's
# (docs/procedures.md). A script that starts with #! is run the usual way, since the kernel
# would run its interpreter instead.

# Written with @{ for a dollar-brace, as WARM_BOOTSTRAP.
FORKED_SHELL = (
    # The forking shell opened the launcher's pipes on 3, 4, 7 and 8 (not above 9, where bash
    # keeps descriptors of its own): stdout and stderr move to 1 and 2.
    'exec 1>&7 2>&8 7>&- 8>&- 6>&-; '
    'read -r -u 3 __switchboard_warm || exit 0; exec 3<&-; '
    "mapfile -d '' -t -u 4 __switchboard_warm; exec 4<&-; "
    'cd -- "@{__switchboard_warm[0]}" || exit 126; '
    'export -- "@{__switchboard_warm[@]:2}"; '
    # What bash exported of its own: the script's shell sets them afresh, as from a step's environment.
    'unset -v PWD OLDPWD SHLVL; '
    'exec -- "@{__switchboard_warm[1]}"'
)
SERVER_BOOTSTRAP = (
    '((BASH_VERSINFO[0] >= 5)) || exit 97; '
    'L=$PPID; '
    # A request: four descriptor numbers in the launcher per shell to fork. The answer: each
    # shell's pid, then 'done' and the forking shell's status once it has exited.
    'while read -r -u 5 -a f; do '
    '( exec 5<&-; set -m; '
    'for ((i = 0; i + 3 < @{#f[@]}; i += 4)); do '
    'exec 3<"/proc/$L/fd/@{f[i]}" 4<"/proc/$L/fd/@{f[i+1]}" 7>"/proc/$L/fd/@{f[i+2]}" 8>"/proc/$L/fd/@{f[i+3]}"; '
    '( ' + FORKED_SHELL + ' ) & '
    'exec 3<&- 4<&- 7>&- 8>&-; echo "$!" >&6; '
    'done ); '
    'echo "done $?" >&6; '
    'done'
).replace('@{', '$' + '{')

def become_subreaper():
    # PR_SET_CHILD_SUBREAPER: the forked shells become this process's children once the shell that
    # forked them exits. Without ctypes (a minimal Python), warm shells are started instead.
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except Exception:
        return False

def runs_as_new_shell(request):
    # Whether a forked shell can execute the step's script: executable, with no #! line (the
    # kernel would run that interpreter). The request usually carries the text, else it is read.
    path = request['args'][0]
    head = None
    for item in (request.get('tree') or {}).get('files', []) + (request.get('files') or []):
        if item['path'] == path:
            head = utf8(item['content'][:2])
    try:
        if head is None:
            with open(path, 'rb') as script:
                head = script.read(2)
        return head != b'#!' and os.access(path, os.X_OK)
    except OSError:
        return False

class ForkedShell(WarmShell):
    forked = True

    def __init__(self):
        # The forking shell opens the child ends through /proc; they are closed once the server says it has.
        self.prepare()

    def fds(self):
        # What the forking shell opens on 3, 4, 7 and 8: the go pipe, the request, stdout, stderr.
        go_read, out_write, err_write = self.child_ends
        return (go_read, self.request, out_write, err_write)

class ShellServer:
    # The bash that forks the forked shells, in its own session, with only LANG in its environment.
    def __init__(self, path, shells):
        self.shells = shells
        self.pid = None
        self.pidfd = None
        self.requests = None
        self.reports = None
        self.errors = None
        self.batches = []
        self.received = bytearray()
        child_ends = []
        try:
            request_read, self.requests = os.pipe()
            child_ends.append(above_stdio(request_read, 7))
            self.reports, report_write = os.pipe()
            child_ends.append(above_stdio(report_write, 7))
            self.errors, error_write = os.pipe()
            child_ends.append(above_stdio(error_write, 7))
            # Whatever it writes besides its reports (stdout or stderr) reaches the worker's stderr.
            self.pid = start_shell(path, SERVER_BOOTSTRAP, {'LANG': WARM_LANG}, [(child_ends[2], 1), (child_ends[2], 2), (child_ends[0], 5), (child_ends[1], 6)])
            self.pidfd = os.pidfd_open(self.pid)
            for fd in (self.requests, self.reports, self.errors):
                os.set_blocking(fd, False)
        except BaseException:
            self.close()
            raise
        finally:
            for fd in child_ends:
                os.close(fd)
        selector.register(self.reports, selectors.EVENT_READ, self.on_reports)
        selector.register(self.errors, selectors.EVENT_READ, self.on_errors)
        selector.register(self.pidfd, selectors.EVENT_READ, self.on_exit)

    def pending(self):
        return sum(len(batch) for batch in self.batches)

    def holds(self, pid):
        return pid == self.pid or any(shell.pid == pid for batch in self.batches for shell in batch)

    def fork(self, count):
        batch = []
        try:
            for _ in range(count):
                batch.append(ForkedShell())
            os.write(self.requests, (' '.join(str(fd) for shell in batch for fd in shell.fds()) + '\n').encode())
        except BaseException:
            for shell in batch:
                shell.close()
            raise
        self.batches.append(batch)

    def settle(self, seconds):
        # Waits up to seconds for the shells asked for so far (or the server's end).
        waiting = selectors.DefaultSelector()
        waiting.register(self.reports, selectors.EVENT_READ)
        waiting.register(self.pidfd, selectors.EVENT_READ)
        try:
            while self.batches and self.reports is not None:
                ready = [key.fileobj for key, _events in waiting.select(seconds)]
                if self.reports not in ready:
                    break  # the time is up, or the server is gone: the main loop sees to it
                self.on_reports(self.reports)
        finally:
            waiting.close()

    def read_pipe(self, fd):
        # What the server sent on its reports or errors pipe, or None: at its end (the pipe is then
        # closed), or for an event of this select() for a pipe closed meanwhile (the server's end came first).
        if fd is None or fd not in (self.reports, self.errors):
            return None
        data = os.read(fd, 4096)
        if data:
            return data
        selector.unregister(fd)
        os.close(fd)
        if fd == self.reports:
            self.reports = None
        else:
            self.errors = None
        return None

    def on_reports(self, fd):
        data = self.read_pipe(fd)
        if data is None:
            return
        self.received.extend(data)
        while b'\n' in self.received:
            end = self.received.index(b'\n')
            line = bytes(self.received[:end]).decode('utf-8', 'replace')
            del self.received[:end + 1]
            waiting = [shell for shell in (self.batches[0] if self.batches else []) if shell.pid is None]
            if line.isdigit() and waiting:
                waiting[0].pid = int(line)
                continue
            if not line.startswith('done ') or not self.batches:
                self.shells.server_failed('the shell server answered ' + repr(line[:80]))
                return
            batch = self.batches.pop(0)
            forked = []
            for shell in batch:
                shell.opened()
                if shell.pid is not None:
                    try:
                        shell.pidfd = os.pidfd_open(shell.pid)
                        forked.append(shell)
                        continue
                    except OSError:
                        shell.pid = None  # it died before the forking shell exited, which reaped it
                shell.close()
            self.shells.on_forked(forked, line)
            if self.requests is None:
                return  # closed meanwhile (a failed batch)

    def on_errors(self, fd):
        # What the server or a forking shell wrote to stderr: to the worker's, as the launcher's own.
        data = self.read_pipe(fd)
        if data is None:
            return
        for line in data.decode('utf-8', 'replace').splitlines():
            sys.stderr.write('step launcher: shell server: ' + line + '\n')

    def on_exit(self, fd):
        if fd != self.pidfd:
            return
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        code = os.waitstatus_to_exitcode(status)
        self.close()
        self.shells.server_gone(code)

    def close(self):
        # Its shells not yet reported are ended; the server itself ends with its request pipe.
        for batch in self.batches:
            for shell in batch:
                shell.close()
        self.batches = []
        for fd in (self.requests, self.reports, self.errors, self.pidfd):
            if fd is not None:
                try:
                    selector.unregister(fd)
                except (KeyError, ValueError):
                    pass
                os.close(fd)
        self.requests = self.reports = self.errors = self.pidfd = None
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None

class WarmShells:
    # Up to size bash shells ready ahead of their steps, for the interpreter the last bash step
    # used: forked by a shell server where this process can be a subreaper, started one by one
    # otherwise, or when the server fails. Several deaths before use in a row, or a bash older
    # than 5, stop the warming.
    def __init__(self, size):
        self.size = size
        self.path = None
        self.idle = []
        self.deaths = 0
        self.is_off = size <= 0
        self.forks = subreaper
        self.server = None

    def forking(self):
        return self.forks and not self.is_off

    def want(self, path):
        # Keep shells of this bash from now on (the launcher's start, or a bash step that found none waiting).
        if not self.is_off and path != self.path:
            self.clear()
            self.path = path

    def holds(self, pid):
        return any(shell.pid == pid for shell in self.idle) or (self.server is not None and self.server.holds(pid))

    def take(self, path, request):
        # (pid, pipes, pidfd) of a warm shell now running the request, or None.
        if path != self.path or not self.idle:
            return None
        data = warm_request_data(request)
        if data is None:
            return None
        executes = None
        while self.idle:
            if self.idle[0].forked:
                executes = runs_as_new_shell(request) if executes is None else executes
                if not executes:
                    return None
            shell = self.idle.pop(0)
            selector.unregister(shell.pidfd)
            if shell.hand_over(data):
                self.deaths = 0
                return shell.pid, shell.pipes, shell.pidfd
        return None

    def refill(self, steps_running):
        if self.is_off or self.path is None:
            return
        if self.forking():
            self.fork_more(steps_running)
            return
        # While steps run, one shell waits for the next bash step; the others start once no step
        # runs. A shell starting next to a running step slows it down, and glibc's posix_spawn
        # stops this launcher until the new shell has exec'd (1-2 ms on a busy machine), while
        # the exit of a short step may be waiting to be reported.
        want = min(self.size, 1) if steps_running else self.size
        while not self.is_off and len(self.idle) < want:
            try:
                shell = WarmShell(self.path)
            except OSError as error:
                self.stop('could not start ' + self.path + ': ' + str(error))
                return
            self.add_idle(shell)

    def fork_more(self, steps_running):
        # The server forks in the background, so nothing here waits for it. Shells are asked for
        # in batches of at least half the pool: the forking shell is forked once per batch.
        first = self.server is None
        if first:
            try:
                self.server = ShellServer(self.path, self)
            except OSError as error:
                self.server_failed('could not start ' + self.path + ': ' + str(error))
                return
        missing = self.size - len(self.idle) - self.server.pending()
        if missing > 0 and missing * 2 >= self.size:
            try:
                self.server.fork(missing)
            except OSError as error:
                self.server_failed('could not ask for shells: ' + str(error))
                return
        # The first shells are waited for while no step runs, as started ones are: the next bash step finds them ready.
        if first and not steps_running:
            self.server.settle(2.0)

    def on_forked(self, shells, done):
        for shell in shells:
            self.add_idle(shell)
        if done != 'done 0':
            self.server_failed('a shell could not be forked (' + done + ')')

    def server_gone(self, code):
        self.server = None
        if code == 97:
            self.stop(self.path + ' is older than bash 5')
        else:
            self.server_failed('the shell server exited with ' + str(code))

    def server_failed(self, why):
        sys.stderr.write('step launcher: no more forked shells, starting warm shells instead: ' + why + '\n')
        self.forks = False
        # Its shells too: started ones take their place, and each script is made as they need it.
        self.clear()

    def add_idle(self, shell):
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
        if self.server is not None:
            self.server.close()
            self.server = None

# Children left behind ------------------------------------------------------------------------
#
# As a subreaper, this process becomes the parent of whatever a step leaves running when its
# shell ends (in any session). Each is waited for as soon as it exits, woken by SIGCHLD: until
# then it would still count as a member of its process group, which the worker watches.

subreaper = False
# waitid shows one exited child at a time: when it showed one that its own handler waits for,
# others may be behind it, so the main loop looks again after the handlers ran.
orphans_hidden = False

def reap_orphans():
    global orphans_hidden
    orphans_hidden = False
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None:
            return
        if any(step.pid == info.si_pid for step in steps.values()) or warm_shells.holds(info.si_pid):
            orphans_hidden = True
            return
        try:
            os.waitpid(info.si_pid, 0)
        except ChildProcessError:
            return

def on_sigchld(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
    reap_orphans()

def watch_children(wanted):
    global subreaper
    subreaper = wanted and become_subreaper()
    if subreaper:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        selector.register(wake_read, selectors.EVENT_READ, on_sigchld)

WARM_SHELLS = int(sys.argv[1]) if len(sys.argv) > 1 else 0
watch_children(WARM_SHELLS > 0 and sys.argv[3:4] != ['start'])
warm_shells = WarmShells(WARM_SHELLS)

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
    # The script a forked shell would execute: made executable, whichever shell runs it.
    executable = request['args'][0] if request.get('warm') and request['args'] and warm_shells.forking() else None
    tree = request.get('tree')
    if tree:
        try:
            create_tree(tree, executable)
        except Exception as error:
            send(dict({'type': 'failed', 'id': request_id, 'workspace': True}, **node_error(error)))
            return
    step = Step(request)
    try:
        write_files(request.get('files') or [], executable)
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
        # Its idle shells and the shell server go with it, waited for: no orphan is left to init.
        warm_shells.clear()
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
        if orphans_hidden:
            reap_orphans()
        flush()

def check_spawn():
    # Fails here (and the worker takes the node launcher) rather than at every step, where this
    # Python cannot start a process in a new session.
    pid = os.posix_spawn('/bin/sh', ['sh', '-c', ':'], {}, setsid=True, setsigdef=RESET_SIGNALS, setsigmask=())
    os.waitpid(pid, 0)

main()
`;
