# The same step on native BLAS for the bench's comparison: P = X Vᵀ and G = Pᵀ X in float32 with numpy (OpenBLAS
# on this machine), on one thread and on all (the thread count is fixed before numpy loads). Prints JSON:
# {"shape": "n,d,k", "threads": t, "seconds": median seconds per step}.
import json, os, sys, time

threads = sys.argv[1]
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = threads
import numpy as np  # noqa: E402

rng = np.random.default_rng(1)
for shape in sys.argv[2:]:
    n, d, k = map(int, shape.split(","))
    X = rng.standard_normal((n, d), dtype=np.float32)
    V = rng.standard_normal((k, d), dtype=np.float32)
    steps = max(3, round(4e9 / (4 * n * d * k)))
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            P = X @ V.T
            G = P.T @ X
        samples.append((time.perf_counter() - start) / steps)
    samples.sort()
    print(json.dumps({"shape": shape, "threads": int(threads), "seconds": samples[len(samples) // 2]}))
