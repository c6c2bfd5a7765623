"""Run a few lines of code in a fresh Python whose memory is limited, and measure what they cost.

Hostile input is tested this way: a bug that allocates gigabytes then fails with `MemoryError` under
the limit (instead of taking the test machine down), a bug that blocks fails with a timeout, and the
peak memory and time of a correct refusal are measured and bounded.
"""

import json
import resource
import subprocess
import sys

CHILD = """
import json, resource, sys, time
import numpy as np
import tinygraph as tg

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB

before = peak()
start = time.perf_counter()
try:
{body}
    outcome = "returned"
except BaseException as error:
    outcome = f"{{type(error).__name__}}: {{error}}"
seconds = time.perf_counter() - start
print(json.dumps({{"outcome": outcome[:100_000], "seconds": seconds, "extra_mb": (peak() - before) / 2**20}}))
"""


def run_limited(body, *, memory_mb=600, timeout=60):
    """Run `body` (statements) in a new Python limited to `memory_mb` of address space.

    Returns `{"outcome": "returned" or "ErrorType: message", "seconds": ..., "extra_mb": ...}`, where
    `extra_mb` is how far the peak resident memory rose above what the imports had taken.
    """
    limit = memory_mb * 2**20
    indented = "\n".join("    " + line for line in body.strip().splitlines())

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run([sys.executable, "-c", CHILD.format(body=indented)], capture_output=True, text=True,
                            timeout=timeout, preexec_fn=limit_memory)
    assert result.returncode == 0 and result.stdout, f"the child failed:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.splitlines()[-1])
