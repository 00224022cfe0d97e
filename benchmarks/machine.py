"""What the numbers were measured on: CPU, cores, library versions, BLAS and its threads."""

import os
import platform

import numpy as np


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux), or the platform's description."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description():
    """NumPy's BLAS: library, version, build configuration and thread count (when known)."""
    config = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    text = f"{config.get('name', 'unknown')} {config.get('version', '')}".strip()
    build = config.get("openblas configuration")
    if build:
        text += f" ({build})"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return text
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            text += (f"; runtime: {pool.get('internal_api')} {pool.get('version')}, "
                     f"kernel {pool.get('architecture')}, {pool.get('num_threads')} threads")
            break
    return text


def describe(keras=None):
    """A list of ``(label, value)`` rows describing the machine and the software.

    Args:
        keras: the imported ``keras`` module, to report its and TensorFlow's versions.
    """
    rows = [
        ("CPU", cpu_model()),
        ("Logical cores", str(os.cpu_count())),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("NumPy BLAS", blas_description()),
    ]
    if keras is not None:
        import tensorflow as tf

        onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")
        threads = (tf.config.threading.get_intra_op_parallelism_threads() or "default (all cores)")
        rows += [("Keras", keras.__version__), ("TensorFlow", tf.__version__),
                 ("TensorFlow settings", f"oneDNN {onednn}; intra-op threads {threads}; "
                                         "XLA off (Keras' choice on a CPU-only machine)")]
    return rows


def load_average():
    """The 1-minute load average (a busy machine makes every number noisier), or None."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
