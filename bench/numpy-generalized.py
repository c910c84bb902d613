# numpy/scipy's route for the bench's generalized part: the float64 covariance of the rows (centred; within-class for
# LDA), then scipy.linalg.eigh of the pencil for its top k (LAPACK's sygvx: Cholesky of B, reduction, tridiagonal
# eigensolver on a subset), or numpy's SVD of the cross-covariance for PLS. Run with the thread count fixed before
# numpy loads. Arguments: threads, then lines "method,path,k,dx" (CCA, PLS: the .npy holds [X | Y], X the first dx
# columns) or "lda,path,k,labels.npy". Prints one JSON line per case: {"case", "seconds", "values", "vectors"}.
import json, os, sys, time

threads = sys.argv[1]
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = threads
import numpy as np  # noqa: E402
import scipy.linalg as sl  # noqa: E402


def two_view(method, XY, k, dx):
    n, m = XY.shape
    Xc = XY - XY.mean(0)
    C = Xc.T @ Xc / (n - 1)
    if method == 'pls':
        U, s, Vt = np.linalg.svd(C[:dx, dx:])
        return s[:k], np.hstack([U[:, :k].T, Vt[:k]])
    A = np.zeros_like(C)
    B = np.zeros_like(C)
    A[:dx, dx:] = C[:dx, dx:]
    A[dx:, :dx] = C[dx:, :dx]
    B[:dx, :dx] = C[:dx, :dx]
    B[dx:, dx:] = C[dx:, dx:]
    w, U = sl.eigh(A, B, subset_by_index=[m - k, m - 1])
    return w[::-1], U[:, ::-1].T


def lda(X, y, k):
    n, d = X.shape
    classes, index, counts = np.unique(y, return_inverse=True, return_counts=True)
    means = np.zeros((len(classes), d))
    np.add.at(means, index, X)
    means /= counts[:, None]
    centred = X - means[index]
    Sw = centred.T @ centred / n
    M = (means - X.mean(0)) * np.sqrt(counts / n)[:, None]
    Sb = M.T @ M
    w, V = sl.eigh(Sb, Sw, subset_by_index=[d - k, d - 1])
    return w[::-1], V[:, ::-1].T


for line in sys.argv[2:]:
    method, path, k, extra = line.split(',')
    k = int(k)
    X = np.load(path).astype(np.float64)
    y = np.load(extra).ravel() if method == 'lda' else None
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        values, vectors = lda(X, y, k) if method == 'lda' else two_view(method, X, k, int(extra))
        samples.append(time.perf_counter() - start)
    samples.sort()
    print(json.dumps({"case": line, "seconds": samples[1], "values": values.tolist(), "vectors": vectors.tolist()}))
