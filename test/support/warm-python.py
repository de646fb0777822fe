"""One warm Python for a test file's runs: torch is imported once, and every
run is a fork of that process, so it starts as a fresh interpreter would
(its own module namespace, argv, working directory, environment and exit
status) without paying `import torch` again (1-2 s of CPU each time).

    warm-python.py serve SOCKET              import torch, then fork a child per request, several
                                             at a time (exits when the process that started it is gone)
    warm-python.py run SOCKET ARGS...        run `python3 ARGS...` in the server: `-c CODE ...`,
                                             `-m MODULE ...` or `SCRIPT ...`; the client's stdout and
                                             stderr are the run's, its exit status the run's

The client passes its own stdout and stderr to the server (SCM_RIGHTS), so
the run writes straight into whatever the client's caller reads; if the
client is killed (a timeout), the server kills the run. The server never
computes with torch itself, so no thread pool exists when it forks.
"""
import json
import os
import select
import signal
import socket
import sys
import time


def serve(path):
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the socket file goes too
    try:
        import torch  # noqa: F401  (the point: every fork starts with it imported)
    except ImportError:
        pass  # runs that need torch then fail as they would in a fresh interpreter
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    os.rename(path + ".tmp", path)  # the socket appears only once it is ready
    listener.listen(8)
    runs = {}  # a running child's pid -> its client's connection
    try:
        while os.getppid() == parent:
            # Several runs at a time: torchrun's workers (PYTHON_EXEC) must all be up to meet.
            readable, _, _ = select.select([listener, *runs.values()], [], [], 0.02)
            for ready in readable:
                if ready is listener:
                    connection, _ = listener.accept()
                    runs[start(connection, listener, runs)] = connection
                elif ready.recv(1, socket.MSG_PEEK) == b"":
                    # The client is gone (its caller's timeout killed it): so goes its run.
                    os.kill(next(pid for pid, c in runs.items() if c is ready), signal.SIGKILL)
            reap(runs)
    finally:
        os.unlink(path)


def start(connection, listener, runs):
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 2)
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # Not a copy of any connection: a client sees the end of its reply only when no process holds its socket.
        for held in [listener, connection, *runs.values()]:
            held.close()
        run_child(json.loads(message), fds)
    for fd in fds:
        os.close(fd)
    return child


def reap(runs):
    """Sends every ended run's exit code or signal to its client."""
    while runs:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        connection = runs.pop(pid)
        reply = {"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"code": os.WEXITSTATUS(status)}
        try:
            connection.sendall(json.dumps(reply).encode())
        except OSError:
            pass  # the client was killed: nobody is waiting for the status
        connection.close()


def run_child(request, fds):
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if "OMP_NUM_THREADS" in os.environ and "torch" in sys.modules:
        # A fresh interpreter's torch reads it when imported; this one was imported before the run's environment.
        sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    sys.stdout = os.fdopen(1, "w", buffering=1 if os.isatty(1) else -1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    os._exit(run_as_main(request["argv"]))


def run_as_main(argv):
    """What `python3 ARGV...` would do, in this process; returns the exit status."""
    import atexit
    import runpy
    import traceback

    while argv[0] == "-u":  # torchrun starts its workers unbuffered; they flush what they print
        argv = argv[1:]
    try:
        if argv[0] == "-c":
            sys.argv, sys.path[0] = ["-c", *argv[2:]], ""
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        elif argv[0] == "-m":
            sys.argv, sys.path[0] = [argv[1], *argv[2:]], os.getcwd()
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv, sys.path[0] = list(argv), os.path.dirname(os.path.abspath(argv[0]))
            runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = exit_code(stop.code)
    except BaseException as error:
        # As a fresh interpreter prints it: from the run's own first frame, not this file's or runpy's.
        frames = error.__traceback__
        while frames is not None and frames.tb_frame.f_code.co_filename in (__file__, runpy.__file__):
            frames = frames.tb_next
        traceback.print_exception(type(error), error, frames)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return code


def exit_code(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def run(path, argv):
    deadline = time.monotonic() + 120
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            client.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                print(f"warm-python: no server at {path} after 120 s", file=sys.stderr)
                return 70
            time.sleep(0.02)
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    socket.send_fds(client, [json.dumps(request).encode()], [1, 2])
    reply = b""
    while chunk := client.recv(4096):
        reply += chunk
    status = json.loads(reply)
    if "signal" in status:
        os.kill(os.getpid(), status["signal"])
    return status["code"]


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
