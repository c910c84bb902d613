# The bench's datasets, generated once (seeded) into a cache directory, with their exact answers:
#   python3 bench/datasets.py <cache dir> <name> ...
# For each name it writes, unless already there (each file is written beside its place and renamed, so an interrupted
# run leaves no half file):
#   <name>.npy          the data (float32; float64 for the offset set), except mnist.npy, which bench/datasets.ts
#                       writes from the `mnist` package's digits before calling this script;
#   <name>.vectors.npy  the top-k eigenvectors of the exact covariance (k × d, float64, from `eigh` in float64);
#   <name>.values.npy   their variances (denominator n − 1), float64, as one row (1 × k);
#   <name>.lanczos.json ARPACK (scipy's eigsh) on the same operator for a ladder of tolerances: the matrix–vector
#                       products it took (each one a pass over the rows when played on the data) and the subspace
#                       distance it reached.
# The exact covariance is summed in float64 from the stored values, in blocks of rows (the d ≫ n set: the n × n Gram
# matrix, components Xcᵀu / ‖Xcᵀu‖). The offset set's answer is that of its values before the offset was added.
#
# The sparse sets (issue 22, SPARSE below) are written instead as
#   <name>.npz            scipy.sparse.save_npz of a csr matrix (deflated), as users' TF-IDF and count matrices come;
#   <name>.vectors.npy    the exact top-k eigenvectors (k × d, float64) of the operator the fit decomposes: the
#                         covariance (X − 1μᵀ)ᵀ(X − 1μᵀ)/(n − 1) for a centred set, XᵀX for an uncentred one (its right
#                         singular vectors);
#   <name>.values.npy     that operator's top k + SPARSE_EXTRA eigenvalues (1 × (k + SPARSE_EXTRA), float64; XᵀX's are
#                         the squared singular values): the ones past k tell how flat the spectrum is at k;
#   <name>.reference.json how the answer was found and its largest residual ‖A v − θ v‖ / θ₁ in float64.
import json
import os
import sys

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

BLOCK = 1 << 15
# name: (rows, cols, k)
SHAPES = {
    "mnist": (10000, 784, 16),
    "columns": (50000, 500, 10),
    "powerlaw": (20000, 768, 64),
    "lowrank": (1000000, 64, 8),
    "wide": (2000, 20000, 10),
    "offset": (200000, 32, 4),
    "crossover": (4000, 4096, 32),
    "stream": (524288, 256, 8),
    # Flat tails at k (issue 21): the k-th eigenvalue in a tail without a gap.
    "singlecell": (20000, 4000, 50),
    "embeddings": (20000, 768, 128),
    "rankfour": (20000, 300, 10),
}
# name: (rows, cols, k, centred)
SPARSE = {
    # TF-IDF-like text, reduced without centring (TruncatedSVD, LSA): ~1.9 M non-zeros (0.16 %).
    "tfidf": (20000, 60000, 50, False),
    # Single-cell-like log1p counts of the 4000 most variable of 12000 genes, PCA centred: ~2.2 M non-zeros (2.75 %).
    "cells": (20000, 4000, 50, True),
}
SPARSE_EXTRA = 10
OFFSET = 1.7e9
LANCZOS_TOLERANCES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12, 0.0]


def orthonormal(rng, d, m):
    """m dense orthonormal columns in R^d (QR of a Gaussian matrix)."""
    q, r = np.linalg.qr(rng.standard_normal((d, m)))
    return q * np.sign(np.diag(r))


def write_planted(path, rng, n, spectrum, basis, noise=0.0, dtype=np.float32):
    """Rows z diag(√λ) Bᵀ + noise + μ, with z standard normal, written in blocks into an .npy file."""
    d = basis.shape[0]
    mean = rng.standard_normal(d)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, d))
    for start in range(0, n, BLOCK):
        rows = min(BLOCK, n - start)
        block = (rng.standard_normal((rows, len(spectrum))) * np.sqrt(spectrum)) @ basis.T + mean
        if noise:
            block += rng.standard_normal((rows, d)) * np.sqrt(noise)
        out[start:start + rows] = block
    out.flush()
    del out


def write_counts(path, rng, n, d, types):
    """Single-cell-like expression: log1p of gamma–Poisson counts (shape 5) of `types` cell types over d genes with
    log-normal base means, a tenth of each type's genes changed by a log-normal fold, cells of log-normal size."""
    base = rng.lognormal(mean=-1.0, sigma=1.5, size=d)
    fold = np.exp(rng.normal(0, 1.0, size=(types, d)) * (rng.random((types, d)) < 0.1))
    label = rng.integers(0, types, size=n)
    size = rng.lognormal(0, 0.4, size=n)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for start in range(0, n, 2000):
        end = min(n, start + 2000)
        mean = size[start:end, None] * base[None, :] * fold[label[start:end]]
        out[start:end] = np.log1p(rng.poisson(rng.gamma(shape=5.0, scale=mean / 5.0)))
    out.flush()
    del out


def generate(name, path):
    n, d, k = SHAPES[name]
    rng = np.random.default_rng(14)
    if name == "columns":
        # Independent columns, standard deviations 1 + 10/(j+1): variances falling slowly.
        sd = 1 + 10 / (np.arange(d) + 1)
        write_planted(path, rng, n, sd ** 2, np.eye(d))
    elif name == "powerlaw":
        # Embedding-like: a dense orthonormal basis, λᵢ ∝ 1/i.
        write_planted(path, rng, n, 10 / np.arange(1, d + 1), orthonormal(rng, d, d))
    elif name == "crossover":
        # Where the routes' estimated costs meet (src/pca/choose.ts): n ≈ d, the same spectrum as "powerlaw".
        write_planted(path, rng, n, 10 / np.arange(1, d + 1), orthonormal(rng, d, d))
    elif name == "lowrank":
        signal = np.array([8, 6.5, 5, 4, 3, 2.5, 2, 1.6])
        write_planted(path, rng, n, signal, orthonormal(rng, d, len(signal)), noise=0.1)
    elif name == "wide":
        # 100 directions with λᵢ = 20/i in R^20000, isotropic noise 0.01 per column.
        write_planted(path, rng, n, 20 / np.arange(1, 101), orthonormal(rng, d, 100), noise=0.01)
    elif name == "offset":
        # Timestamps: each column 1.7e9 + j·3600 plus a planted spectrum (float64, as such data come).
        spectrum = 10 * 0.6 ** np.arange(d)
        basis = orthonormal(rng, d, d)
        values = (rng.standard_normal((n, d)) * np.sqrt(spectrum)) @ basis.T
        save(path, values + (OFFSET + 3600 * np.arange(d)))
        return values
    elif name == "stream":
        # k = 8 with a 6 % eigengap at k: (λ₈ − λ₉)/λ₈ = 0.06, then slow decay.
        top = 10 * 0.85 ** np.arange(8)
        rest = top[-1] * 0.94 * 0.97 ** np.arange(d - 8)
        write_planted(path, rng, n, np.concatenate([top, rest]), orthonormal(rng, d, d))
    elif name == "singlecell":
        write_counts(path, rng, n, d, types=25)
    elif name == "embeddings":
        # Sentence-embedding-like: a slowly falling head, λᵢ = 1/(1 + i/8), over a flat floor of 0.05 per direction.
        spectrum = 1 / (1 + np.arange(d) / 8) + 0.05
        write_planted(path, rng, n, spectrum, orthonormal(rng, d, d))
    elif name == "rankfour":
        # k = 10 above a rank-4 signal in isotropic noise: beyond the 4th value, a tail of sampling noise.
        write_planted(path, rng, n, np.array([8.0, 4.0, 2.0, 1.0]), orthonormal(rng, d, 4), noise=0.05)
    else:
        raise SystemExit(f"datasets.py: no generator for {name!r} (mnist.npy is written by bench/datasets.ts)")
    return None


def zipf_cdf(size, exponent=1.07, shift=2.7):
    """The cumulative Zipf–Mandelbrot distribution p(r) ∝ 1/(r + shift)^exponent over ranks 0 … size − 1."""
    cdf = np.cumsum(1 / (np.arange(size) + shift) ** exponent)
    return cdf / cdf[-1]


def write_tfidf(path, rng, n, d):
    """TF-IDF of a topic model: 80 topics, each ranking the whole vocabulary its own way (a random permutation) under
    one Zipf law; a document draws a topic mixture (Dirichlet, popular topics first), a log-normal length (~86 tokens),
    and each token is a common word (the shared ranking, 30 %) or a word of a topic drawn from its mixture. Counts become
    TF-IDF as scikit-learn's TfidfTransformer does by default (smooth idf, L2-normalised rows), float64 as it gives."""
    from sklearn.feature_extraction.text import TfidfTransformer

    topics = 80
    cdf = zipf_cdf(d)
    ranking = np.argsort(rng.random((topics, d)), axis=1)
    length = np.maximum(5, rng.lognormal(np.log(86), 0.6, n).astype(np.int64))
    mixture = np.cumsum(rng.dirichlet(0.3 / (1 + np.arange(topics) / 6), size=n), axis=1)
    mixture[:, -1] = 1
    document = np.repeat(np.arange(n), length)
    rank = np.minimum(np.searchsorted(cdf, rng.random(document.size)), d - 1)
    common = rng.random(document.size) < 0.3
    topic = np.minimum((rng.random(document.size)[:, None] > mixture[document]).sum(axis=1), topics - 1)
    word = np.where(common, rank, ranking[topic, rank])
    counts = sp.csr_matrix((np.ones(document.size), (document, word)), shape=(n, d))
    counts.sum_duplicates()
    X = TfidfTransformer().fit_transform(counts).tocsr()
    X.sort_indices()
    sp.save_npz(path, X)


def write_sparse_counts(path, rng, n, d, types):
    """Single-cell-like: gamma–Poisson counts (shape 4) of `types` cell types over 12000 genes with log-normal base means
    (shallow: ~150 counts a cell), a tenth of each type's genes changed by a log-normal fold, cells of log-normal size;
    normalised to 10,000 counts per cell, log1p, float32 (scanpy's pp.normalize_total and pp.log1p); then the d genes
    of largest variance (scanpy's highly variable genes, simplified to the variance of the log1p values)."""
    genes = 12000
    base = rng.lognormal(mean=-5.3, sigma=1.2, size=genes)
    fold = np.exp(rng.normal(0, 1.0, size=(types, genes)) * (rng.random((types, genes)) < 0.1))
    label = rng.integers(0, types, size=n)
    size = rng.lognormal(0, 0.5, size=n)
    blocks = []
    for start in range(0, n, 1000):
        end = min(n, start + 1000)
        mean = size[start:end, None] * base[None, :] * fold[label[start:end]]
        blocks.append(sp.csr_matrix(rng.poisson(rng.gamma(shape=4.0, scale=mean / 4.0)).astype(np.float32)))
    counts = sp.vstack(blocks).tocsr()
    total = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    normalised = (sp.diags((1e4 / np.maximum(total, 1)).astype(np.float32)) @ counts).tocsr()
    normalised.data = np.log1p(normalised.data)
    mean = np.asarray(normalised.mean(axis=0), dtype=np.float64).ravel()
    square = np.asarray(normalised.multiply(normalised).mean(axis=0), dtype=np.float64).ravel()
    chosen = np.sort(np.argsort(-(square - mean ** 2), kind="stable")[:d])
    X = normalised[:, chosen].tocsr().astype(np.float32)
    X.sort_indices()
    sp.save_npz(path, X)


def sparse_answer(X, k, centred):
    """The exact answer of a sparse set, in float64: for the centred set (d = 4000) the top eigenpairs of the dense
    covariance (XᵀX − n μμᵀ)/(n − 1) by LAPACK's `syevr`; for the uncentred one (d = 60000, too large for a dense `eigh`)
    ARPACK (`eigsh`) on XᵀX as an operator, at tolerance 0 (machine precision). Returns k vectors (k × d), k +
    SPARSE_EXTRA values, and how they were found with their largest relative residual."""
    X = X.astype(np.float64)
    n, d = X.shape
    wanted = k + SPARSE_EXTRA
    if centred:
        mean = np.asarray(X.mean(axis=0)).ravel()
        C = (X.T @ X).toarray() - n * np.outer(mean, mean)
        C /= n - 1
        values, vectors = scipy.linalg.eigh(C, subset_by_index=[d - wanted, d - 1])
        values, vectors = values[::-1], vectors[:, ::-1]
        residuals = np.linalg.norm(C @ vectors[:, :k] - vectors[:, :k] * values[:k], axis=0)
        how = "scipy.linalg.eigh of the dense float64 covariance (subset_by_index, syevr)"
    else:
        products = [0]

        def gram(v):
            products[0] += 1
            return X.T @ (X @ v)

        operator = LinearOperator((d, d), matvec=gram, dtype=np.float64)
        v0 = np.random.default_rng(0).uniform(-1, 1, d)
        values, vectors = eigsh(operator, k=wanted, which="LA", tol=0, v0=v0)
        order = np.argsort(values)[::-1]
        values, vectors = values[order], vectors[:, order]
        top = vectors[:, :k]
        residuals = np.linalg.norm(X.T @ (X @ top) - top * values[:k], axis=0)
        how = f"ARPACK (scipy eigsh, tol 0) on XᵀX as an operator, {wanted} pairs, {products[0]} products"
    reference = {"method": how, "residual": float(residuals.max() / values[0])}
    return vectors[:, :k].T.copy(), values.copy(), reference


def generate_sparse(name, path):
    n, d, k, _ = SPARSE[name]
    rng = np.random.default_rng(22)
    if name == "tfidf":
        write_tfidf(path, rng, n, d)
    else:
        write_sparse_counts(path, rng, n, d, types=25)


def prepare_sparse(cache, name):
    n, d, k, centred = SPARSE[name]
    base = os.path.join(cache, name)
    if os.path.exists(base + ".reference.json"):
        return
    print(f"datasets.py: generating {name} ({n} × {d}, sparse)", file=sys.stderr, flush=True)
    generate_sparse(name, base + ".tmp.npz")
    os.replace(base + ".tmp.npz", base + ".npz")
    X = sp.load_npz(base + ".npz")
    if X.shape != (n, d):
        raise SystemExit(f"datasets.py: {base}.npz is {X.shape}, expected {(n, d)}")
    print(f"datasets.py: the exact answer of {name} ({X.nnz} non-zeros)", file=sys.stderr, flush=True)
    vectors, values, reference = sparse_answer(X, k, centred)
    save(base + ".vectors.npy", vectors)
    save(base + ".values.npy", values[None, :])
    reference["nnz"] = int(X.nnz)
    with open(base + ".reference.tmp.json", "w") as f:
        json.dump(reference, f)
    os.replace(base + ".reference.tmp.json", base + ".reference.json")


def save(path, array):
    """C order, as the bench's readers take it."""
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array))


def centred_blocks(X):
    """X − mean in float64, block by block (the mean summed in float64 first)."""
    n = X.shape[0]
    mean = np.zeros(X.shape[1])
    for start in range(0, n, BLOCK):
        mean += X[start:start + BLOCK].sum(axis=0, dtype=np.float64)
    mean /= n
    for start in range(0, n, BLOCK):
        yield np.asarray(X[start:start + BLOCK], dtype=np.float64) - mean


def exact_answer(X, k):
    """Top-k eigenvectors (k × d) and variances of the exact covariance, and the operator ARPACK is run on."""
    n, d = X.shape
    if d <= n:
        C = np.zeros((d, d))
        for block in centred_blocks(X):
            C += block.T @ block
        C /= n - 1
        values, vectors = np.linalg.eigh(C)
        return vectors[:, ::-1][:, :k].T.copy(), values[::-1][:k].copy(), C, None
    Xc = np.concatenate(list(centred_blocks(X)))
    G = Xc @ Xc.T / (n - 1)
    values, u = np.linalg.eigh(G)
    return to_components(Xc, u[:, ::-1][:, :k]), values[::-1][:k].copy(), G, Xc


def to_components(Xc, u):
    """Components Xcᵀu / ‖Xcᵀu‖ (k × d) from eigenvectors u of the Gram matrix (n × k)."""
    components = (Xc.T @ u).T
    return components / np.linalg.norm(components, axis=1, keepdims=True)


def subspace_distance(found, truth):
    """1 − tr(P_found P_truth) / k for orthonormalised rows: the package's subspaceDistance."""
    q_found = np.linalg.qr(found.T)[0]
    q_truth = np.linalg.qr(truth.T)[0]
    return float(1 - np.sum((q_truth.T @ q_found) ** 2) / truth.shape[0])


def lanczos_ladder(operator, Xc, truth, k):
    """ARPACK's products and accuracy for each tolerance, from the same start vector (scikit-learn's: uniform)."""
    m = operator.shape[0]
    v0 = np.random.default_rng(0).uniform(-1, 1, m)
    ladder = []
    for tol in LANCZOS_TOLERANCES:
        calls = [0]

        def matvec(v):
            calls[0] += 1
            return operator @ v

        try:
            _, vectors = eigsh(LinearOperator((m, m), matvec=matvec, dtype=np.float64), k=k, which="LA", tol=tol, v0=v0)
        except Exception as error:  # ArpackNoConvergence at a tolerance it cannot reach
            ladder.append({"tol": tol, "error": str(error).splitlines()[0]})
            continue
        found = vectors.T if Xc is None else to_components(Xc, vectors)
        rung = {"tol": tol, "matvecs": calls[0], "distance": subspace_distance(found, truth)}
        if Xc is None:
            # The largest residual ‖C v − θ v‖ of its k Ritz pairs relative to θ₁, as pca's tol judges them.
            theta = np.sum(vectors * (operator @ vectors), axis=0)
            residuals = np.linalg.norm(operator @ vectors - vectors * theta, axis=0)
            rung["residual"] = float(residuals.max() / np.abs(theta).max())
        ladder.append(rung)
    return ladder


def main():
    cache, names = sys.argv[1], sys.argv[2:]
    for name in names:
        if name in SPARSE:
            prepare_sparse(cache, name)
            continue
        n, d, k = SHAPES[name]
        base = os.path.join(cache, name)
        if os.path.exists(base + ".lanczos.json"):
            continue
        values = None
        if name != "mnist":
            print(f"datasets.py: generating {name} ({n} × {d})", file=sys.stderr, flush=True)
            values = generate(name, base + ".tmp.npy")
            os.replace(base + ".tmp.npy", base + ".npy")
        X = values if values is not None else np.load(base + ".npy", mmap_mode="r")
        if X.shape != (n, d):
            raise SystemExit(f"datasets.py: {base}.npy is {X.shape}, expected {(n, d)}")
        print(f"datasets.py: the exact answer of {name}", file=sys.stderr, flush=True)
        vectors, variances, operator, Xc = exact_answer(X, k)
        save(base + ".vectors.npy", vectors)
        save(base + ".values.npy", variances[None, :])
        ladder = lanczos_ladder(operator, Xc, vectors, k)
        with open(base + ".lanczos.tmp.json", "w") as f:
            json.dump(ladder, f)
        os.replace(base + ".lanczos.tmp.json", base + ".lanczos.json")


main()
