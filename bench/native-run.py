# One fit by a native route, in a process of its own, for the bench's pca part (bench/pca.ts):
#   python3 bench/native-run.py <method> <data.npy> <k>
# Methods:
#   numpy                    the route a numpy user writes: centring in the data's dtype, the products in float32
#                            (XᵀX, or XXᵀ when d > n, then components Xcᵀu / ‖Xcᵀu‖), `eigh` in float64;
#   sklearn-covariance-eigh  scikit-learn's PCA(svd_solver='covariance_eigh');
#   sklearn-arpack           scikit-learn's PCA(svd_solver='arpack') (Lanczos, tol 0);
#   sklearn-randomized       scikit-learn's PCA(svd_solver='randomized') (its defaults: 4 power iterations, 10
#                            oversamples; its variances are those of its components, so their sum is what it captured);
#   numpy-blocked            the pass a numpy user writes for a file too large to load: blocks of 4096 rows read with
#                            np.fromfile (each block's memory freed and reused by the next), B.T @ B in the file's
#                            float32 (BLAS syrk) added into a float64 sum, column sums in float64, then one `eigh`
#                            (the streamed file's comparison).
# The in-memory methods load the data (and import their library) before the clock; numpy-blocked's clock is its
# whole pass, file opening included. The parent sets the thread counts and OpenBLAS's environment before python
# starts. Prints JSON: {"seconds", "components" (k × d, row-major), "variances" (k)}.
import json
import sys
import time

import numpy as np

BLOCK_ROWS = 4096


def top_k(matrix, k):
    """The top-k eigenvalues and eigenvectors (as columns) of a symmetric matrix, in float64."""
    values, vectors = np.linalg.eigh(matrix.astype(np.float64, copy=False))
    return values[::-1][:k], vectors[:, ::-1][:, :k]


def numpy_route(X, k):
    n, d = X.shape
    Xc = (X - X.mean(axis=0)).astype(np.float32, copy=False)
    if d <= n:
        values, vectors = top_k(Xc.T @ Xc, k)
        return vectors.T, values / (n - 1)
    values, u = top_k(Xc @ Xc.T, k)
    components = (Xc.T @ u.astype(np.float32)).T
    return components / np.linalg.norm(components, axis=1, keepdims=True), values / (n - 1)


def blocked_pass(path, k):
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        (n, d), fortran_order, dtype = read_header(f)
        if fortran_order:
            raise SystemExit(f"{path} is in Fortran order")
        squares = np.zeros((d, d))
        sums = np.zeros(d)
        for start in range(0, n, BLOCK_ROWS):
            block = np.fromfile(f, dtype=dtype, count=min(BLOCK_ROWS, n - start) * d).reshape(-1, d)
            squares += block.T @ block
            sums += block.sum(axis=0, dtype=np.float64)
    mean = sums / n
    values, vectors = top_k((squares - n * np.outer(mean, mean)) / (n - 1), k)
    return vectors.T, values


def sklearn_route(solver):
    from sklearn.decomposition import PCA

    def fit(X, k):
        model = PCA(n_components=k, svd_solver=solver, random_state=0).fit(X)
        return model.components_, model.explained_variance_

    return fit


def truncated_svd_route(algorithm):
    from sklearn.decomposition import TruncatedSVD

    def fit(X, k):
        model = TruncatedSVD(n_components=k, algorithm=algorithm, random_state=0).fit(X)
        return {"components": model.components_, "variances": model.explained_variance_, "singularValues": model.singular_values_}

    return fit


def truncated_svd_products(X, k):
    """The products Xv and Xᵀu that TruncatedSVD(algorithm='arpack', random_state=0) takes: its own call, svds(X, k,
    tol=0, v0) with its start vector, repeated on a counting operator after the timed fit (the same numbers)."""
    from scipy.sparse.linalg import LinearOperator, svds
    from sklearn.utils._arpack import _init_arpack_v0

    products = [0]

    def counted(product):
        def run(x):
            products[0] += 1 if x.ndim == 1 else x.shape[1]
            return product(x)
        return run

    XT = X.T
    operator = LinearOperator(
        matvec=counted(lambda x: X @ x), matmat=counted(lambda x: X @ x),
        rmatvec=counted(lambda x: XT @ x), rmatmat=counted(lambda x: XT @ x),
        dtype=X.dtype, shape=X.shape,
    )
    svds(operator, k=k, tol=0.0, v0=_init_arpack_v0(min(X.shape), 0))
    return products[0]


def sparse_pca_arpack(X, k):
    """scikit-learn ≥ 1.4's PCA(svd_solver='arpack', tol=0, random_state=0).fit(X) for sparse X, written out."""
    from scipy.sparse.linalg import LinearOperator, svds
    from sklearn.utils._arpack import _init_arpack_v0
    from sklearn.utils.extmath import svd_flip
    from sklearn.utils.sparsefuncs import mean_variance_axis

    n = X.shape[0]
    mean, _ = mean_variance_axis(X, axis=0)
    offset = mean[None, :]
    XT = X.T
    products = [0]

    def counted(product, columns=lambda x: 1 if x.ndim == 1 else x.shape[1]):
        def run(x):
            products[0] += columns(x)
            return product(x)
        return run

    centred = LinearOperator(
        matvec=counted(lambda x: X @ x - offset @ x),
        matmat=counted(lambda x: X @ x - offset @ x),
        rmatvec=counted(lambda x: XT @ x - (offset * x.sum())),
        rmatmat=counted(lambda x: XT @ x - offset.T @ x.sum(axis=0)[None, :]),
        dtype=X.dtype,
        shape=X.shape,
    )
    v0 = _init_arpack_v0(min(X.shape), 0)
    U, S, Vt = svds(centred, k=k, tol=0.0, v0=v0)
    S = S[::-1]
    U, Vt = svd_flip(U[:, ::-1], Vt[::-1], u_based_decision=False)
    return {"components": Vt, "variances": S ** 2 / (n - 1), "singularValues": S, "products": products[0]}


SPARSE_METHODS = {
    "truncated-svd-arpack": lambda: truncated_svd_route("arpack"),
    "truncated-svd-randomized": lambda: truncated_svd_route("randomized"),
    "sparse-pca-arpack": lambda: sparse_pca_arpack,
}


def main():
    method, path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if method in SPARSE_METHODS:
        import scipy.sparse

        fit = SPARSE_METHODS[method]()
        X = scipy.sparse.load_npz(path)
        start = time.perf_counter()
        found = fit(X, k)
        seconds = time.perf_counter() - start
        if method == "truncated-svd-arpack":
            found["products"] = truncated_svd_products(X, k)
        out = {"seconds": seconds}
        for key, value in found.items():
            out[key] = value if isinstance(value, int) else np.ravel(value).tolist()
        print(json.dumps(out))
        return
    if method == "numpy-blocked":
        start = time.perf_counter()
        components, variances = blocked_pass(path, k)
    else:
        fit = {
            "numpy": lambda: numpy_route,
            "sklearn-covariance-eigh": lambda: sklearn_route("covariance_eigh"),
            "sklearn-arpack": lambda: sklearn_route("arpack"),
            "sklearn-randomized": lambda: sklearn_route("randomized"),
        }[method]()
        X = np.load(path)
        start = time.perf_counter()
        components, variances = fit(X, k)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "components": np.ravel(components).tolist(), "variances": np.ravel(variances).tolist()}))


main()
