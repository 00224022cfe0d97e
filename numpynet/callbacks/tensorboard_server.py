"""Serving TensorBoard logs: start the real TensorBoard server on 127.0.0.1, stop it by PID.

``serve(log_dir)`` runs ``tensorboard`` in a subprocess (without TensorFlow: a bootstrap
registers tensorboard's own "no TensorFlow" stub first), waits until its HTTP endpoint answers
and returns a handle with ``.url``, ``.pid`` and ``.stop()``.
"""

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time


def _require(module, user):
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{user} needs the `{module}` package, which is not installed: "
                          f"pip install {module} (or pip install 'numpynet[viz]').")


# Runs tensorboard.main with TensorBoard's own "no TensorFlow" switch (the module that its
# TensorFlow-free build ships): it then uses its bundled stub, starts in about a second instead
# of importing TensorFlow for several, and behaves the same whether TensorFlow is installed.
_LAUNCHER = ("import sys, types\n"
             "notf = 'tensorboard.compat.notf'\n"
             "sys.modules[notf] = types.ModuleType(notf)\n"
             "from tensorboard.main import run_main\n"
             "sys.argv[0] = 'tensorboard'\n"
             "run_main()\n")
_RUNNING = set()  # servers' processes, stopped when Python exits


class TensorBoardServer:
    """A TensorBoard server started by :func:`serve`; a context manager that stops it.

    Attributes:
        url: the address to open in a browser, e.g. ``"http://127.0.0.1:50123/"``.
        pid: the server's process id.
        log_dir: the directory it serves.
    """

    def __init__(self, log_dir, host, port):
        self.log_dir, self.url = log_dir, f"http://{host}:{port}/"
        self._output = tempfile.TemporaryFile()  # a pipe nobody reads could fill and block it
        # --load_fast=false: the Python loader, not a second data-server process, so that
        # `pid` is the whole server.
        command = [sys.executable, "-c", _LAUNCHER, "--logdir", log_dir, "--host", host,
                   "--port", str(port), "--load_fast=false"]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         stdout=self._output, stderr=subprocess.STDOUT)
        _RUNNING.add(self._process)

    @property
    def pid(self):
        return self._process.pid

    @property
    def running(self):
        return self._process.poll() is None

    def _wait_until_ready(self, timeout):
        import urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxies
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                code, output = self._process.returncode, self._last_output()
                self.stop()
                raise RuntimeError(f"serve: TensorBoard (pid {self.pid}) exited with code "
                                   f"{code} before answering at {self.url}. Its output ends "
                                   f"with:\n{output}")
            try:
                with opener.open(self.url + "data/runs", timeout=1.0) as response:
                    if response.status == 200:
                        return
            except OSError:  # not listening yet
                pass
            time.sleep(0.1)
        output = self._last_output()
        self.stop()
        raise TimeoutError(f"serve: TensorBoard (pid {self.pid}) did not answer at {self.url} "
                           f"within {timeout} s and was stopped. Its output ends with:\n{output}")

    def _last_output(self, size=2000):
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")[-size:]

    def stop(self, timeout=10.0):
        """Stops the server: SIGTERM to its pid, then SIGKILL if it is still alive after
        ``timeout`` seconds. Calling it again does nothing."""
        _terminate(self._process, timeout)
        _RUNNING.discard(self._process)
        self._output.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        state = "running" if self.running else "stopped"
        return f"<TensorBoardServer {self.url} pid={self.pid} {state} log_dir={self.log_dir!r}>"


def serve(log_dir="logs", port=0, host="127.0.0.1", timeout=60.0):
    """Starts the TensorBoard server on ``log_dir`` in a subprocess and waits until it answers.

    Args:
        log_dir: the directory given to the ``TensorBoard`` callback (it must exist).
        port: the TCP port; 0 picks a free one.
        host: a loopback address: TensorBoard has no authentication, so numpynet never
            exposes it to the network.
        timeout: seconds to wait for the first HTTP answer.

    Returns:
        A running :class:`TensorBoardServer` (``.url``, ``.pid``, ``.stop()``; a context
        manager). Servers still running when Python exits are stopped.

    Raises:
        ValueError: for a non-loopback ``host`` or a port outside 0..65535.
        FileNotFoundError: if ``log_dir`` is not a directory.
        ImportError: if the ``tensorboard`` package is not installed.
        RuntimeError: if the server exits before answering (e.g. the port is taken).
        TimeoutError: if it does not answer within ``timeout`` seconds (it is then stopped).
    """
    import ipaddress
    address = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.IPv4Address(address).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"serve: host must be a loopback IPv4 address such as '127.0.0.1' "
                         f"(TensorBoard has no authentication), got {host!r}.")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"serve: port must be an integer in 0..65535 (0 = any free port), "
                         f"got {port!r}.")
    log_dir = os.path.abspath(os.fspath(log_dir))
    if not os.path.isdir(log_dir):
        raise FileNotFoundError(f"serve: log_dir {log_dir!r} is not a directory; pass the "
                                "log_dir of the TensorBoard callback after training.")
    _require("tensorboard", "serve()")
    for attempt in range(3):  # a picked free port can be taken before TensorBoard binds it
        server = TensorBoardServer(log_dir, address, port or _free_port(address))
        try:
            server._wait_until_ready(timeout)
            return server
        except RuntimeError as error:
            if port or attempt == 2 or "already in use" not in str(error):
                raise


def _free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _terminate(process, timeout):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@atexit.register
def _stop_running_servers():
    for process in list(_RUNNING):
        _terminate(process, 5.0)
